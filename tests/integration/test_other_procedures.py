"""Meetings, written procedures and delegated authority through the services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from concord.domain.errors import IllegalTransition, InvalidInput, NotAllowed
from concord.domain.procedures import Kind, PositionKind, State
from concord.domain.rules import DecisionRule, RuleKind
from concord.records.models import AuditEvent, Decision
from concord.services import audit
from concord.services import procedures as service
from tests.factories import capital, delegate, partner_format
from tests.integration.conftest import T0

H = timedelta(hours=1)
EXPIRY = T0 + timedelta(days=3)


def _file(p, user, state, kind, at, **kw):
    return service.file_position(procedure_id=p.pk, by=user, state=state, kind=kind, now=at, **kw)


def test_meeting_with_ad_referendum_confirmed_by_the_capital(council, paper):
    fmt = partner_format(council)
    p = service.open_procedure(
        by=council.chair,
        kind=Kind.MEETING,
        body=council,
        format=fmt,
        revision=paper,
        expires_at=EXPIRY,
        now=T0,
    )
    assert {"AUS", "JPN", "KOR", "NZL"} <= {x.state_id for x in p.participants.all()}
    _file(p, delegate("KOR", "partner_delegate"), "KOR", PositionKind.AD_REFERENDUM, T0 + H)
    _file(
        p,
        council.chair,
        "DNK",
        PositionKind.FOOTNOTE,
        T0 + H,
        paragraph=2,
        statement="Denmark does not associate itself with paragraph 2.",
    )
    _file(p, council.chair, "TUR", PositionKind.STATEMENT, T0 + H, statement="An interpretation.")
    p = service.conclude(procedure_id=p.pk, by=council.chair, now=T0 + 2 * H)
    assert p.state == State.AWAITING_CONFIRMATION
    with pytest.raises(IllegalTransition):  # positions are closed once concluded
        _file(p, delegate("FRA"), "FRA", PositionKind.OBJECT, T0 + 3 * H, statement="late")
    p = _file(p, capital("KOR"), "KOR", PositionKind.AD_REF_CONFIRMED, T0 + 5 * H)
    assert p.state == State.ADOPTED
    decision = Decision.objects.get(procedure=p)
    assert decision.adopted_at == T0 + 5 * H
    assert decision.footnotes == [
        {
            "state": "DNK",
            "paragraph": 2,
            "paragraph_id": "p2",
            "text": "Denmark does not associate itself with paragraph 2.",
        }
    ]
    assert decision.statements == [{"state": "TUR", "text": "An interpretation."}]
    assert "KOR" in decision.bound
    assert audit.verify().ok


def test_ad_referendum_withdrawn_means_not_adopted(council, paper):
    p = service.open_procedure(
        by=council.chair, kind=Kind.MEETING, body=council, revision=paper, expires_at=EXPIRY, now=T0
    )
    _file(p, delegate("ITA"), "ITA", PositionKind.AD_REFERENDUM, T0 + H)
    service.conclude(procedure_id=p.pk, by=council.chair, now=T0 + 2 * H)
    with pytest.raises(NotAllowed):  # a delegation cannot confirm for its capital
        _file(p, delegate("ITA"), "ITA", PositionKind.AD_REF_CONFIRMED, T0 + 3 * H)
    p = _file(
        p, capital("ITA", ministerial=False), "ITA", PositionKind.AD_REF_WITHDRAWN, T0 + 3 * H
    )
    assert p.state == State.NOT_ADOPTED


def test_unconfirmed_ad_referendum_lapses_at_expiry(council, paper):
    p = service.open_procedure(
        by=council.chair, kind=Kind.MEETING, body=council, revision=paper, expires_at=EXPIRY, now=T0
    )
    _file(p, delegate("ITA"), "ITA", PositionKind.AD_REFERENDUM, T0 + H)
    service.conclude(procedure_id=p.pk, by=council.chair, now=T0 + 2 * H)
    assert service.record_due_outcomes(EXPIRY) == 1
    assert service.get(p.pk).state == State.NOT_ADOPTED


def test_stand_aside_where_coalitions_are_allowed(council, paper):
    council.coalitions_within = True
    council.save()
    p = service.open_procedure(
        by=council.chair, kind=Kind.MEETING, body=council, revision=paper, expires_at=EXPIRY, now=T0
    )
    _file(p, delegate("HUN"), "HUN", PositionKind.STAND_ASIDE, T0 + H)
    p = service.conclude(procedure_id=p.pk, by=council.chair, now=T0 + 2 * H)
    decision = Decision.objects.get(procedure=p)
    assert "HUN" not in decision.bound and decision.standing_aside == ["HUN"]
    assert len(decision.bound) == 31


def test_stand_aside_refused_where_the_body_does_not_allow_it(council, paper):
    p = service.open_procedure(
        by=council.chair, kind=Kind.MEETING, body=council, revision=paper, expires_at=EXPIRY, now=T0
    )
    with pytest.raises(NotAllowed):
        _file(p, delegate("HUN"), "HUN", PositionKind.STAND_ASIDE, T0 + H)


def test_ministerial_objections_are_pending_until_countersigned(council, paper):
    council.ministerial_objections = True
    council.save()
    p = service.open_silence(
        by=council.chair, body=council, revision=paper, expires_at=EXPIRY, now=T0
    )
    p = service.break_silence(
        procedure_id=p.pk, by=delegate("FRA"), state="FRA", statement="No.", now=T0 + H
    )
    ev = service.evaluate(p, T0 + H)
    assert ev.pending == ("FRA",) and ev.objecting == ()
    with pytest.raises(NotAllowed):
        _file(p, capital("FRA", ministerial=False), "FRA", PositionKind.COUNTERSIGNED, T0 + 2 * H)
    _file(p, capital("FRA"), "FRA", PositionKind.COUNTERSIGNED, T0 + 2 * H)
    assert service.evaluate(service.get(p.pk), EXPIRY).state is State.NOT_ADOPTED


def test_uncountersigned_objection_does_not_count_at_expiry(council, paper):
    council.ministerial_objections = True
    council.save()
    p = service.open_silence(
        by=council.chair, body=council, revision=paper, expires_at=EXPIRY, now=T0
    )
    service.break_silence(
        procedure_id=p.pk, by=delegate("FRA"), state="FRA", statement="No.", now=T0 + H
    )
    service.record_due_outcomes(EXPIRY)
    assert service.get(p.pk).state == State.ADOPTED


def test_written_procedure_needs_active_replies(council, paper):
    p = service.open_procedure(
        by=council.chair, kind=Kind.WRITTEN, body=council, revision=paper, expires_at=EXPIRY, now=T0
    )
    states = [x.state_id for x in p.participants.all()]
    for s in states[:-1]:
        _file(p, delegate(s), s, PositionKind.APPROVE, T0 + H)
    assert service.evaluate(service.get(p.pk), EXPIRY).state is State.NOT_ADOPTED  # one silent
    last = states[-1]
    _file(p, delegate(last), last, PositionKind.SCRUTINY_RESERVATION, T0 + 2 * H)
    assert service.evaluate(service.get(p.pk), EXPIRY).state is State.NOT_ADOPTED
    _file(p, delegate(last), last, PositionKind.ABSTAIN, T0 + 3 * H)  # reservation lifted
    service.record_due_outcomes(EXPIRY)
    assert service.get(p.pk).state == State.ADOPTED


def test_written_procedure_under_qualified_majority(council, paper):
    rule = DecisionRule(
        RuleKind.QUALIFIED_MAJORITY,
        states_share=Decimal("0.55"),
        population_share=Decimal("0.65"),
    )
    p = service.open_procedure(
        by=council.chair,
        kind=Kind.WRITTEN,
        body=council,
        revision=paper,
        expires_at=EXPIRY,
        now=T0,
        rule=rule,
    )
    big = [
        "USA",
        "DEU",
        "TUR",
        "FRA",
        "GBR",
        "ITA",
        "ESP",
        "POL",
        "CAN",
        "ROU",
        "NLD",
        "BEL",
        "CZE",
        "GRC",
        "PRT",
        "SWE",
        "HUN",
        "BGR",
    ]
    for s in big:
        _file(p, delegate(s), s, PositionKind.APPROVE, T0 + H)
    assert service.evaluate(service.get(p.pk), EXPIRY).state is State.ADOPTED
    assert service.get(p.pk).rule["kind"] == "qualified_majority"


def test_delegated_authority_stands_unless_called_up(states, paper):
    from tests.factories import BodyFactory

    wg = BodyFactory(code="RWG", delegated_authority=True)
    p = service.open_procedure(
        by=wg.chair, kind=Kind.DELEGATED, body=wg, revision=paper, expires_at=EXPIRY, now=T0
    )
    service.record_due_outcomes(EXPIRY)
    assert service.get(p.pk).state == State.ADOPTED

    q = service.open_procedure(
        by=wg.chair, kind=Kind.DELEGATED, body=wg, revision=paper, expires_at=EXPIRY + H, now=T0
    )
    with pytest.raises(InvalidInput):
        _file(q, delegate("NOR"), "NOR", PositionKind.CALL_UP, T0 + H)  # reasons are required
    q = _file(
        q, delegate("NOR"), "NOR", PositionKind.CALL_UP, T0 + H, statement="Needs the Council."
    )
    assert q.state == State.CALLED_UP
    assert AuditEvent.objects.filter(tag="procedure.delegated.called_up").count() == 1
    assert service.record_due_outcomes(EXPIRY + 2 * H) == 0


def test_delegated_authority_needs_the_body_option(council, paper):
    with pytest.raises(NotAllowed):
        service.open_procedure(
            by=council.chair,
            kind=Kind.DELEGATED,
            body=council,
            revision=paper,
            expires_at=EXPIRY,
            now=T0,
        )
