"""Appending to and verifying the audit chain."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from concord.domain.audit import GENESIS, Verification, link_hash, verify_chain
from concord.domain.canonical import canonical_json
from concord.domain.events import Tag
from concord.records.models import AuditEvent, AuditHead

#: The PostgreSQL notification channel on which committed audit sequence numbers are announced.
CHANNEL = "concord_events"


def append(
    *, actor: str, tag: Tag, subject: str, payload: Mapping[str, Any], at: datetime
) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it records; the head row
    lock serialises appenders so that the chain never forks."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit events are written in the transaction of their change")
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    seq = head.seq + 1
    body = canonical_json(payload)
    digest = link_hash(
        seq=seq,
        at=at,
        actor=actor,
        tag=str(tag),
        subject=subject,
        payload=body,
        prev_hash=head.hash,
    )
    event = AuditEvent.objects.create(
        seq=seq,
        at=at,
        actor=actor,
        tag=str(tag),
        subject=subject,
        payload=body,
        prev_hash=head.hash,
        hash=digest,
    )
    head.seq, head.hash = seq, digest
    head.save(update_fields=["seq", "hash"])
    if connection.vendor == "postgresql":
        # Delivered when (and only if) the transaction commits, to every listening process on
        # every host: live streams wake at once instead of polling.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(seq)])
    return event


def verify() -> Verification:
    with transaction.atomic():
        head = AuditHead.objects.filter(pk=1).first()
        links = (e.to_link() for e in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000))
        return verify_chain(links, head.seq if head else 0, head.hash if head else GENESIS)
