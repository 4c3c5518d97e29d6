"""Reference numbers, immutable revisions and the tamper-evident audit chain."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from concord.documents.models import Document, Paragraph, Revision
from concord.domain.errors import InvalidInput, NotAllowed, NotFound
from concord.domain.markings import Classification
from concord.records.append_only import AppendOnlyError
from concord.records.models import AuditEvent
from concord.services import audit, documents
from tests.factories import delegate, secretary
from tests.integration.conftest import T0


def _register(council, title="A paper", **kw):
    return documents.register(
        by=secretary(),
        body=council,
        series_code="PO",
        title=title,
        paragraphs=[("One.", "Un."), ("Two.", "")],
        now=T0,
        **kw,
    )


def test_references_run_without_gaps_per_series_and_year(council):
    refs = [str(_register(council).document.reference) for _ in range(3)]
    assert refs == ["PO(2026)0001", "PO(2026)0002", "PO(2026)0003"]
    other = documents.register(
        by=secretary(), body=council, series_code="C-M", title="x", paragraphs=[("a", "")], now=T0
    )
    assert str(other.document.reference) == "C-M(2026)0001"
    next_year = documents.register(
        by=secretary(),
        body=council,
        series_code="PO",
        title="y",
        paragraphs=[("a", "")],
        now=T0.replace(year=2027),
    )
    assert str(next_year.document.reference) == "PO(2027)0001"


def test_a_rolled_back_registration_leaves_no_gap(council):
    _register(council)
    with pytest.raises(RuntimeError), transaction.atomic():
        _register(council)
        raise RuntimeError("the caller's transaction fails later")
    assert str(_register(council).document.reference) == "PO(2026)0002"


def test_bad_documents_are_refused_and_write_nothing(council):
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput):
        documents.register(
            by=secretary(), body=council, series_code="PO", title="", paragraphs=[("a", "")]
        )
    with pytest.raises(InvalidInput):
        documents.register(by=secretary(), body=council, series_code="PO", title="t", paragraphs=[])
    with pytest.raises(InvalidInput):
        documents.register(
            by=secretary(),
            body=council,
            series_code="PO",
            title="t",
            paragraphs=[("a", ""), ("  ", "")],
        )
    with pytest.raises(NotAllowed):
        documents.register(
            by=delegate("FRA"), body=council, series_code="PO", title="t", paragraphs=[("a", "")]
        )
    with pytest.raises(NotFound):
        _register(council, releasable_to=["ZZZ"])
    assert not Document.objects.exists() and AuditEvent.objects.count() == before


def test_revisions_are_numbered_and_immutable(council):
    original = _register(council, classification=Classification.SECRET, releasable_to=["JPN"])
    rev1 = documents.revise(
        by=secretary(),
        document=original.document,
        paragraphs=[("One, amended.", "Un, modifié.")],
        note="chair's text",
        now=T0 + timedelta(days=1),
    )
    assert rev1.reference == "PO(2026)0001-REV1"
    assert documents.revision_by_reference("PO(2026)0001").pk == rev1.pk
    assert documents.revision_by_reference("po(2026)0001-rev0").pk == original.pk
    assert original.document.marking().banner == "NATO SECRET Releasable to JPN"
    with pytest.raises(AppendOnlyError):
        rev1.note = "changed"
        rev1.save()
    paragraph = Paragraph.objects.filter(revision=original).first()
    with pytest.raises(AppendOnlyError):
        paragraph.text = "rewritten"
        paragraph.save()
    with pytest.raises(AppendOnlyError):
        paragraph.delete()
    assert Revision.objects.count() == 2
    with pytest.raises(NotFound):
        documents.revision_by_reference("PO(2026)0009")
    with pytest.raises(InvalidInput):
        documents.revision_by_reference("not a reference")


def test_audit_chain_detects_an_altered_event(council):
    for i in range(4):
        _register(council, title=f"paper {i}")
    assert audit.verify().ok and audit.verify().checked == 4
    AuditEvent.objects.filter(seq=3).update(payload='{"title":"forged"}')  # bypasses the model
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == 3


def test_audit_chain_detects_deleted_events(council):
    for i in range(4):
        _register(council, title=f"paper {i}")
    AuditEvent.objects.filter(seq=2).delete()  # a queryset delete bypasses the model's guard
    assert audit.verify().first_bad_seq == 2


def test_audit_chain_detects_the_newest_event_deleted(council):
    for i in range(3):
        _register(council, title=f"paper {i}")
    AuditEvent.objects.filter(seq=3).delete()
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == 3


def test_audit_events_are_written_only_inside_a_transaction(transactional_db):
    from concord.domain.events import Tag

    with pytest.raises(RuntimeError):
        audit.append(actor="x", tag=Tag.DEMO_SEEDED, subject="s", payload={}, at=T0)


@pytest.mark.postgres_only
def test_concurrent_registrations_get_distinct_consecutive_numbers(transactional_db):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection as main_connection

    from concord.services import demo
    from tests.factories import BodyFactory

    demo.seed_states()
    council = BodyFactory(code="NAC")
    clerk = secretary()

    def register(i: int) -> str:
        from django.db import connection

        try:
            revision = documents.register(
                by=clerk,
                body=council,
                series_code="PO",
                title=f"p{i}",
                paragraphs=[("x", "")],
                now=T0,
            )
            return str(revision.document.reference)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        refs = sorted(pool.map(register, range(24)))
    assert refs == [f"PO(2026){n:04d}" for n in range(1, 25)]
    assert audit.verify().ok and audit.verify().checked == 24
    main_connection.close()


def test_the_full_export_covers_every_table_of_the_record():
    """Every model of Concord's own apps is in the export, so a restore loses nothing."""
    from django.apps import apps

    from concord.services.archive import MODELS

    ours = {
        m._meta.label_lower
        for m in apps.get_models()
        if m.__module__.startswith("concord.") and not m._meta.abstract
    }
    assert ours - set(MODELS) == set()
