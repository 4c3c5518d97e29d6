"""The whole record out and back in: JSON Lines, one object a line, in dependency order.

``export`` writes every row a deployment holds (reference data, users and their second-factor
devices, documents, procedures, positions, decisions, notifications, tokens, the audit chain and
its head). ``restore`` loads such a file into an empty, migrated database in one transaction and
then checks that the audit chain verifies and ends on the same head hash as the export did.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from concord.domain.errors import InvalidInput, _
from concord.records.models import AuditEvent, AuditHead
from concord.services import audit

#: Models in the order they must be loaded (a model's foreign keys point to earlier ones).
MODELS = [
    "alliance.state",
    "alliance.membership",
    "alliance.delegation",
    "alliance.user",
    "alliance.body",
    "alliance.format",
    "otp_totp.totpdevice",
    "otp_static.staticdevice",
    "otp_static.statictoken",
    "documents.series",
    "documents.referencecounter",
    "documents.document",
    "documents.revision",
    "documents.paragraph",
    "documents.textmark",
    "documents.amendment",
    "documents.paragraphposition",
    "procedures.procedure",
    "procedures.participant",
    "procedures.position",
    "records.decision",
    "records.auditevent",
    "records.audithead",
    "records.accesslog",
    "policy.topic",
    "policy.consultationrequest",
    "policy.measurenotification",
    "policy.optionspaper",
    "policy.option",
    "policy.optionmark",
    "policy.commitment",
    "policy.commitmentreport",
    "policy.reportreview",
    "policy.remindersent",
    "notifications.notification",
    "notifications.cursor",
    "notifications.reminder",
    "notifications.webhook",
    "notifications.delivery",
    "api.apitoken",
]

Progress = Callable[[int], None]


class _Exact(DjangoJSONEncoder):
    """Django's encoder, but instants keep their microseconds (the audit hashes cover them)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


def _rows() -> Iterator[Any]:
    for label in MODELS:
        model = apps.get_model(label)
        yield from model.objects.order_by("pk").iterator(chunk_size=2000)


def count() -> int:
    return sum(apps.get_model(label).objects.count() for label in MODELS)


def export(path: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Write the record to ``path``; the last line carries the audit head to check against."""
    head = AuditHead.objects.filter(pk=1).first()
    written = 0
    with transaction.atomic(), path.open("w", encoding="utf-8") as out:
        for obj in _rows():
            out.write(
                json.dumps(
                    serializers.serialize("python", [obj])[0], cls=_Exact, ensure_ascii=False
                )
                + "\n"
            )
            written += 1
            if progress and written % 500 == 0:
                progress(500)
        summary = {
            "concord_export": 1,
            "objects": written,
            "head_seq": head.seq if head else 0,
            "head_hash": head.hash if head else "",
        }
        out.write(json.dumps(summary) + "\n")
    if progress:
        progress(written % 500)
    return summary


def restore(path: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Load an export into an empty database; refuse anything else, and write nothing then."""
    if AuditEvent.objects.exists() or apps.get_model("alliance.state").objects.exists():
        raise InvalidInput(_("the database is not empty: restore only into a new database"))
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        raise InvalidInput(_("{path} is empty"), path=str(path))
    try:
        summary = json.loads(lines[-1])
    except json.JSONDecodeError:
        summary = {}
    if summary.get("concord_export") != 1:
        raise InvalidInput(_("{path} is not a complete Concord export"), path=str(path))
    loaded = 0
    with transaction.atomic():
        AuditHead.objects.filter(
            pk=1
        ).delete()  # the migration's empty head gives way to the export's
        try:
            rows = [json.loads(line) for line in lines[:-1]]
            for obj in serializers.deserialize("python", rows):
                obj.save()
                loaded += 1
                if progress and loaded % 500 == 0:
                    progress(500)
        except (serializers.base.DeserializationError, json.JSONDecodeError) as exc:
            raise InvalidInput(
                _("{path} cannot be read: {error}"), path=str(path), error=str(exc).splitlines()[0]
            ) from None
        _reset_sequences()
        result = audit.verify()
        head = AuditHead.objects.filter(pk=1).first()
        if (
            not result.ok
            or (head.seq if head else 0) != summary["head_seq"]
            or (head.hash if head else "") != summary["head_hash"]
        ):
            raise InvalidInput(_("the restored audit chain does not match the export's head"))
    if progress:
        progress(loaded % 500)
    return {"objects": loaded, "head_seq": summary["head_seq"], "head_hash": summary["head_hash"]}


def _reset_sequences() -> None:
    """After loading explicit keys, PostgreSQL's sequences must move past them."""
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), [apps.get_model(m) for m in MODELS])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
