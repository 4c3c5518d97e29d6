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
    lock serialises appenders so that the chain never forks. On PostgreSQL the sequence number
    is announced on ``CHANNEL`` when (and only if) the transaction commits, to every listening
    process on every host: live streams wake at once instead of polling."""
    chain = Chain()
    event = chain.append(actor=actor, tag=tag, subject=subject, payload=payload, at=at)
    chain.flush()
    return event


class Chain:
    """Several events appended in one transaction at the cost of one: the head row is locked
    at the first append, each event is linked to the one before it in memory, and ``flush``
    inserts them together, writes the head once and announces the last sequence number once
    (a live stream reads every event after the one it last sent, so one notice wakes it for
    all). The chain is exactly what ``append`` one by one would have written."""

    def __init__(self) -> None:
        self.head: AuditHead | None = None
        self.events: list[AuditEvent] = []

    def append(
        self, *, actor: str, tag: Tag, subject: str, payload: Mapping[str, Any], at: datetime
    ) -> AuditEvent:
        if not connection.in_atomic_block:
            raise RuntimeError("audit events are written in the transaction of their change")
        if self.head is None:
            self.head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        head = self.head
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
        event = AuditEvent(
            seq=seq,
            at=at,
            actor=actor,
            tag=str(tag),
            subject=subject,
            payload=body,
            prev_hash=head.hash,
            hash=digest,
        )
        self.events.append(event)
        head.seq, head.hash = seq, digest
        return event

    def flush(self) -> None:
        if not self.events:
            return
        assert self.head is not None
        AuditEvent.objects.bulk_create(self.events)
        self.head.save(update_fields=["seq", "hash"])
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(self.head.seq)])
        self.events = []


def verify() -> Verification:
    with transaction.atomic():
        head = AuditHead.objects.filter(pk=1).first()
        links = (e.to_link() for e in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000))
        return verify_chain(links, head.seq if head else 0, head.hash if head else GENESIS)
