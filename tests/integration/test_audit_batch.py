"""Several audit events appended in one go link exactly as one-by-one appends would."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from django.db import transaction

from concord.domain.events import Tag
from concord.records.models import AuditEvent, AuditHead
from concord.services import audit

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _event(n: int) -> dict:
    return {
        "actor": "system:worker",
        "tag": Tag.SILENCE_EXPIRED,
        "subject": f"procedure:{n}",
        "payload": {"procedure": n},
        "at": AT,
    }


def test_a_chain_of_appends_is_the_chain_one_by_one_appends_make():
    with transaction.atomic():
        audit.append(**_event(1))
        chain = audit.Chain()
        made = [chain.append(**_event(n)) for n in (2, 3, 4)]
        assert AuditEvent.objects.count() == 1  # nothing written before the flush
        chain.flush()
        audit.append(**_event(5))
    assert [e.seq for e in made] == [2, 3, 4]
    rows = list(AuditEvent.objects.order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    head = AuditHead.objects.get()
    assert (head.seq, head.hash) == (5, rows[-1].hash)
    assert audit.verify().ok
    # the same five events appended one by one give the same hashes
    hashes = [r.hash for r in rows]
    AuditEvent.objects.all().delete()
    AuditHead.objects.all().delete()
    with transaction.atomic():
        for n in range(1, 6):
            audit.append(**_event(n))
    assert [r.hash for r in AuditEvent.objects.order_by("seq")] == hashes


@pytest.mark.django_db(transaction=True)
def test_a_chain_needs_the_transaction_of_its_change():
    with pytest.raises(RuntimeError):
        audit.Chain().append(**_event(1))
    audit.Chain().flush()  # an empty chain writes nothing
    assert not AuditEvent.objects.exists()
