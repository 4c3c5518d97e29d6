"""Changes made in the back office (the Django admin) are audited like any other."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.forms.models import model_to_dict

from concord.domain.events import Tag
from concord.services import audit, common


def _subject(obj: Any) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def _payload(obj: Any, change: bool) -> dict[str, Any]:
    fields = {}
    for key, value in model_to_dict(obj).items():
        if key == "password":
            continue
        if isinstance(value, list):
            value = sorted(str(getattr(v, "pk", v)) for v in value)
        elif hasattr(value, "pk"):
            value = str(value.pk)
        elif not isinstance(value, str | int | bool | type(None)):
            value = str(value)
        fields[key] = value
    return {"model": obj._meta.label_lower, "pk": str(obj.pk), "change": change, "fields": fields}


def saved(*, username: str, obj: Any, change: bool) -> None:
    with transaction.atomic():
        audit.append(
            actor=username,
            tag=Tag.RECORD_SAVED,
            subject=_subject(obj),
            payload=_payload(obj, change),
            at=common.now(),
        )


def deleted(*, username: str, obj: Any) -> None:
    with transaction.atomic():
        audit.append(
            actor=username,
            tag=Tag.RECORD_DELETED,
            subject=_subject(obj),
            payload={"model": obj._meta.label_lower, "pk": str(obj.pk), "text": str(obj)},
            at=common.now(),
        )
