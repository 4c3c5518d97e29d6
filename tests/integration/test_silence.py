"""The silence procedure end to end through the services and the database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from concord.domain.errors import DeadlinePassed, InvalidInput, NotAllowed, NotFound
from concord.domain.procedures import State
from concord.procedures.models import Position, Procedure
from concord.records.models import AuditEvent, Decision
from concord.services import audit
from concord.services import procedures as service
from tests.factories import delegate
from tests.integration.conftest import T0

US = timedelta(microseconds=1)
EXPIRY = T0 + timedelta(days=2)


@pytest.fixture
def silence(council, paper):
    return service.open_silence(
        by=council.chair, body=council, revision=paper, expires_at=EXPIRY, now=T0
    )


def test_opening_fixes_the_32_allies_and_no_partner(silence):
    states = [p.state_id for p in silence.participants.all()]
    assert len(states) == 32
    assert "FIN" in states and "SWE" in states
    assert not {"AUS", "JPN", "KOR", "NZL"} & set(states)
    event = AuditEvent.objects.get(subject=f"procedure:{silence.pk}")
    assert event.tag == "procedure.silence.opened"


def test_reads_as_adopted_from_the_expiry_instant_before_any_worker(silence):
    assert service.evaluate(silence, EXPIRY - US).state is State.OPEN
    assert service.evaluate(silence, EXPIRY).state is State.ADOPTED
    assert Procedure.objects.get(pk=silence.pk).state == State.OPEN  # nothing recorded yet


def test_break_one_microsecond_before_expiry_counts(silence):
    service.break_silence(
        procedure_id=silence.pk,
        by=delegate("FRA"),
        state="FRA",
        statement="France objects.",
        now=EXPIRY - US,
    )
    assert service.record_outcome(silence.pk, now=EXPIRY) is True
    p = service.get(silence.pk)
    assert p.state == State.NOT_ADOPTED
    assert p.decided_at == EXPIRY
    assert not Decision.objects.filter(procedure=p).exists()


def test_break_at_expiry_is_refused_and_writes_nothing(silence):
    before = AuditEvent.objects.count()
    with pytest.raises(DeadlinePassed):
        service.break_silence(
            procedure_id=silence.pk,
            by=delegate("FRA"),
            state="FRA",
            statement="Too late.",
            now=EXPIRY,
        )
    assert AuditEvent.objects.count() == before
    assert not Position.objects.exists()


def test_worker_records_the_adoption_exactly_once(silence, caplog):
    assert service.record_due_outcomes(EXPIRY - US) == 0
    assert service.record_due_outcomes(EXPIRY + timedelta(seconds=5)) == 1
    assert service.record_due_outcomes(EXPIRY + timedelta(seconds=6)) == 0
    assert service.record_outcome(silence.pk, EXPIRY + timedelta(seconds=7)) is False
    decision = Decision.objects.get(procedure=silence)
    assert decision.adopted_at == EXPIRY  # the expiry instant, not when the worker ran
    assert len(decision.text_sha256) == 64
    assert len(decision.bound) == 32
    assert decision.number.startswith("NAC-DS(2026)")
    tags = list(
        AuditEvent.objects.filter(subject=f"procedure:{silence.pk}").values_list("tag", flat=True)
    )
    assert tags.count("procedure.silence.expired") == 1
    assert AuditEvent.objects.filter(tag="decision.recorded").count() == 1
    expired = AuditEvent.objects.get(tag="procedure.silence.expired")
    assert expired.actor == "system:worker"
    assert audit.verify().ok
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # no fallback was needed


def test_decision_hash_is_that_of_the_canonical_adopted_text(silence, paper):
    from concord.domain.texts import Paragraph, text_sha256

    service.record_outcome(silence.pk, EXPIRY)
    decision = Decision.objects.get(procedure=silence)
    expected = text_sha256(
        paper.reference, [Paragraph(x.number, x.text, x.text_fr) for x in paper.paragraphs.all()]
    )
    assert decision.text_sha256 == expected


def test_extend_before_expiry_moves_the_deadline(silence):
    later = EXPIRY + timedelta(days=1)
    service.extend(
        procedure_id=silence.pk, by=silence.body.chair, expires_at=later, now=EXPIRY - US
    )
    assert service.evaluate(service.get(silence.pk), EXPIRY).state is State.OPEN
    # a break after the old expiry now counts
    service.break_silence(
        procedure_id=silence.pk,
        by=delegate("DEU"),
        state="DEU",
        statement="Germany objects.",
        now=EXPIRY + timedelta(hours=1),
    )
    assert service.evaluate(service.get(silence.pk), later).state is State.NOT_ADOPTED


def test_extend_at_expiry_or_to_an_earlier_moment_is_refused(silence):
    with pytest.raises(DeadlinePassed):
        service.extend(
            procedure_id=silence.pk,
            by=silence.body.chair,
            expires_at=EXPIRY + timedelta(days=1),
            now=EXPIRY,
        )
    with pytest.raises(InvalidInput):
        service.extend(procedure_id=silence.pk, by=silence.body.chair, expires_at=EXPIRY, now=T0)


def test_withdrawal_ends_it_and_the_worker_leaves_it_alone(silence):
    service.withdraw(procedure_id=silence.pk, by=silence.body.chair, now=T0 + timedelta(hours=1))
    assert service.record_due_outcomes(EXPIRY + timedelta(days=1)) == 0
    assert service.get(silence.pk).state == State.WITHDRAWN
    with pytest.raises(Exception, match="withdrawn"):
        service.break_silence(
            procedure_id=silence.pk,
            by=delegate("FRA"),
            state="FRA",
            statement="x",
            now=T0 + timedelta(hours=2),
        )


def test_only_the_chair_acts_as_chair(silence):
    with pytest.raises(NotAllowed):
        service.withdraw(procedure_id=silence.pk, by=delegate("FRA"), now=T0)
    with pytest.raises(NotAllowed):
        service.extend(procedure_id=silence.pk, by=delegate("FRA"), expires_at=EXPIRY + US, now=T0)


@pytest.mark.parametrize(
    ("who", "state", "statement", "error"),
    [
        ("FRA", "FRA", "   ", InvalidInput),  # no statement
        ("FRA", "XXX", "x", NotFound),  # unknown state
        ("JPN", "JPN", "x", NotAllowed),  # partner in an allies-only procedure
        ("FRA", "DEU", "x", NotAllowed),  # speaking for another state
    ],
)
def test_bad_breaks_are_refused_and_write_nothing(silence, who, state, statement, error):
    user = delegate(who, role="partner_delegate" if who == "JPN" else "delegation_head")
    before = AuditEvent.objects.count()
    with pytest.raises(error):
        service.break_silence(
            procedure_id=silence.pk,
            by=user,
            state=state,
            statement=statement,
            now=T0 + timedelta(hours=1),
        )
    assert AuditEvent.objects.count() == before
    assert not Position.objects.exists()


def test_a_state_that_joined_later_does_not_decide(council, paper):
    before_sweden = T0.replace(year=2024, month=3, day=6)
    p = service.open_silence(
        by=council.chair,
        body=council,
        revision=paper,
        expires_at=before_sweden + timedelta(days=1),
        now=before_sweden,
    )
    states = {x.state_id for x in p.participants.all()}
    assert "FIN" in states and "SWE" not in states and len(states) == 31
    with pytest.raises(NotAllowed):
        service.break_silence(
            procedure_id=p.pk,
            by=delegate("SWE"),
            state="SWE",
            statement="x",
            now=before_sweden + timedelta(hours=1),
        )


def test_opening_with_bad_input_writes_nothing(council, paper):
    council.minimum_silence = timedelta(hours=72)
    council.save()
    for expires, error in ((T0 - US, InvalidInput), (T0 + timedelta(hours=71), InvalidInput)):
        with pytest.raises(error):
            service.open_silence(
                by=council.chair, body=council, revision=paper, expires_at=expires, now=T0
            )
    with pytest.raises(NotAllowed):
        service.open_silence(
            by=delegate("FRA"),
            body=council,
            revision=paper,
            expires_at=T0 + timedelta(days=4),
            now=T0,
        )
    assert not Procedure.objects.exists()


def test_a_sweep_records_many_outcomes_in_batches(council, paper, caplog):
    opened = [
        service.open_silence(
            by=council.chair,
            body=council,
            revision=paper,
            expires_at=EXPIRY + timedelta(seconds=i),
            now=T0,
        )
        for i in range(service.BATCH + 5)
    ]
    assert service.record_due_outcomes(EXPIRY + timedelta(minutes=1)) == len(opened)
    assert Decision.objects.count() == len(opened)
    assert len(set(Decision.objects.values_list("text_sha256", flat=True))) == 1
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert service.record_due_outcomes(EXPIRY + timedelta(minutes=2)) == 0
    assert audit.verify().ok
