"""check_position: who may file which position, and when."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from concord.domain.alliance import Actor, Role
from concord.domain.errors import DeadlinePassed, IllegalTransition, InvalidInput, NotAllowed
from concord.domain.procedures import (
    Entry,
    Kind,
    PositionKind,
    Settings,
    Spec,
    check_chair,
    check_position,
)
from concord.domain.rules import DecisionRule

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EXPIRY = T0 + timedelta(hours=72)
NOW = T0 + timedelta(hours=1)
ALLIES = ("BEL", "DEU", "FRA")

FRA_HEAD = Actor("fra.head", Role.DELEGATION_HEAD, "FRA")
FRA_DEPUTY = Actor("fra.deputy", Role.DELEGATION_DEPUTY, "FRA")
FRA_ADVISER = Actor("fra.adviser", Role.DELEGATION_ADVISER, "FRA")
FRA_CAPITAL = Actor("fra.capital", Role.CAPITAL_OFFICIAL, "FRA")
FRA_MINISTER = Actor("fra.minister", Role.CAPITAL_OFFICIAL, "FRA", ministerial=True)
DEU_MINISTER = Actor("deu.minister", Role.CAPITAL_OFFICIAL, "DEU", ministerial=True)
DEU_HEAD = Actor("deu.head", Role.DELEGATION_HEAD, "DEU")
SECRETARY = Actor("secretary", Role.SECRETARIAT_SECRETARY)
CHAIR = Actor("chair", Role.SECRETARIAT_CHAIR)
UKR_PARTNER = Actor("ukr.delegate", Role.PARTNER_DELEGATE, "UKR")


def make_spec(kind: Kind = Kind.SILENCE, **changes: Any) -> Spec:
    base = Spec(kind, DecisionRule(), ALLIES, T0, EXPIRY)
    return dataclasses.replace(base, **changes)


def file(
    spec: Spec,
    actor: Actor,
    kind: PositionKind,
    *,
    state: str = "FRA",
    entries: list[Entry] | None = None,
    statement: str = "Our reasons.",
    paragraph: int | None = None,
    now: datetime = NOW,
    records_for_body: bool = False,
    partner_states: frozenset[str] = frozenset(),
) -> None:
    check_position(
        spec,
        entries or [],
        actor=actor,
        state=state,
        kind=kind,
        statement=statement,
        paragraph=paragraph,
        now=now,
        records_for_body=records_for_body,
        partner_states=partner_states,
    )


def test_heads_deputies_and_capital_officials_speak_for_their_state() -> None:
    for actor in (FRA_HEAD, FRA_DEPUTY, FRA_CAPITAL, FRA_MINISTER):
        file(make_spec(), actor, PositionKind.BREAK)


def test_a_non_participant_is_refused() -> None:
    spec = make_spec()
    with pytest.raises(NotAllowed, match="not a deciding participant"):
        file(spec, Actor("swe.head", Role.DELEGATION_HEAD, "SWE"), PositionKind.BREAK, state="SWE")


def test_a_partner_is_refused_in_an_allies_only_decision() -> None:
    with pytest.raises(NotAllowed, match="partner") as caught:
        file(
            make_spec(), UKR_PARTNER, PositionKind.BREAK, state="UKR",
            partner_states=frozenset({"UKR"}),
        )  # fmt: skip
    assert "allies-only" in str(caught.value)


def test_a_partner_in_the_format_takes_part() -> None:
    spec = make_spec(participants=(*ALLIES, "UKR"))
    file(spec, UKR_PARTNER, PositionKind.BREAK, state="UKR", partner_states=frozenset({"UKR"}))


def test_a_break_needs_a_written_statement() -> None:
    for statement in ("", "   \n"):
        with pytest.raises(InvalidInput, match="needs a written statement"):
            file(make_spec(), FRA_HEAD, PositionKind.BREAK, statement=statement)


@pytest.mark.parametrize(
    ("kind", "position"),
    [
        (Kind.MEETING, PositionKind.OBJECT),
        (Kind.MEETING, PositionKind.STATEMENT),
        (Kind.WRITTEN, PositionKind.OBJECT),
        (Kind.DELEGATED, PositionKind.CALL_UP),
    ],
)
def test_other_positions_that_need_a_statement(kind: Kind, position: PositionKind) -> None:
    with pytest.raises(InvalidInput, match="needs a written statement"):
        file(make_spec(kind), FRA_HEAD, position, statement="")
    file(make_spec(kind), FRA_HEAD, position)


def test_a_join_needs_no_statement() -> None:
    file(make_spec(Kind.MEETING), FRA_HEAD, PositionKind.JOIN, statement="")


def test_a_delegation_adviser_may_not_speak_for_the_state() -> None:
    with pytest.raises(NotAllowed, match=r"fra\.adviser may not speak for FRA"):
        file(make_spec(), FRA_ADVISER, PositionKind.BREAK)
    with pytest.raises(NotAllowed):
        file(make_spec(Kind.MEETING), FRA_ADVISER, PositionKind.JOIN)


def test_nobody_speaks_for_another_state() -> None:
    for actor in (DEU_HEAD, DEU_MINISTER):
        with pytest.raises(NotAllowed, match="may not speak for FRA"):
            file(make_spec(), actor, PositionKind.BREAK)


def test_the_secretariat_does_not_speak_for_a_state() -> None:
    for actor in (SECRETARY, CHAIR):
        with pytest.raises(NotAllowed):
            file(make_spec(), actor, PositionKind.BREAK)


def test_the_secretariat_records_positions_taken_at_a_meeting() -> None:
    file(make_spec(Kind.MEETING), SECRETARY, PositionKind.JOIN, records_for_body=True)
    with pytest.raises(NotAllowed):  # but only at a meeting
        file(make_spec(), SECRETARY, PositionKind.BREAK, records_for_body=True)


def test_a_position_the_kind_does_not_take_is_refused() -> None:
    with pytest.raises(InvalidInput, match="does not take the position 'join'"):
        file(make_spec(), FRA_HEAD, PositionKind.JOIN)
    with pytest.raises(InvalidInput):
        file(make_spec(Kind.DELEGATED), FRA_HEAD, PositionKind.OBJECT)
    with pytest.raises(InvalidInput):
        file(make_spec(Kind.WRITTEN), FRA_HEAD, PositionKind.AD_REFERENDUM)


def test_positions_are_refused_at_and_after_expiry() -> None:
    for kind, position in [
        (Kind.MEETING, PositionKind.JOIN),
        (Kind.WRITTEN, PositionKind.APPROVE),
        (Kind.DELEGATED, PositionKind.CALL_UP),
    ]:
        file(make_spec(kind), FRA_HEAD, position, now=EXPIRY - timedelta(microseconds=1))
        with pytest.raises(DeadlinePassed, match="at or after expiry"):
            file(make_spec(kind), FRA_HEAD, position, now=EXPIRY)


def test_a_second_break_is_refused() -> None:
    entries = [Entry(1, "FRA", PositionKind.BREAK, T0, statement="No.")]
    with pytest.raises(InvalidInput, match="already broken silence"):
        file(make_spec(), FRA_HEAD, PositionKind.BREAK, entries=entries)
    file(make_spec(), DEU_HEAD, PositionKind.BREAK, state="DEU", entries=entries)


class TestCountersignature:
    def spec(self) -> Spec:
        return make_spec(settings=Settings(ministerial_objections=True))

    def pending(self) -> list[Entry]:
        return [Entry(1, "FRA", PositionKind.BREAK, T0, statement="No.")]

    def test_a_minister_of_the_state_countersigns(self) -> None:
        file(self.spec(), FRA_MINISTER, PositionKind.COUNTERSIGNED, entries=self.pending())

    def test_countersigning_needs_ministerial_authority(self) -> None:
        with pytest.raises(NotAllowed, match="ministerial authority"):
            file(self.spec(), FRA_CAPITAL, PositionKind.COUNTERSIGNED, entries=self.pending())

    def test_only_a_capital_official_countersigns(self) -> None:
        head = dataclasses.replace(FRA_HEAD, ministerial=True)
        with pytest.raises(NotAllowed, match="only a capital official of FRA"):
            file(self.spec(), head, PositionKind.COUNTERSIGNED, entries=self.pending())

    def test_a_capital_official_of_another_state_is_refused(self) -> None:
        with pytest.raises(NotAllowed, match="only a capital official of FRA"):
            file(self.spec(), DEU_MINISTER, PositionKind.COUNTERSIGNED, entries=self.pending())

    def test_nothing_to_countersign(self) -> None:
        with pytest.raises(InvalidInput, match="no objection awaiting countersignature"):
            file(self.spec(), FRA_MINISTER, PositionKind.COUNTERSIGNED)
        ministerial = [Entry(1, "FRA", PositionKind.BREAK, T0, ministerial=True, statement="No.")]
        with pytest.raises(InvalidInput):
            file(self.spec(), FRA_MINISTER, PositionKind.COUNTERSIGNED, entries=ministerial)
        # without the setting every objection counts at once
        with pytest.raises(InvalidInput):
            file(make_spec(), FRA_MINISTER, PositionKind.COUNTERSIGNED, entries=self.pending())

    def test_twice_is_refused(self) -> None:
        entries = [*self.pending(), Entry(2, "FRA", PositionKind.COUNTERSIGNED, NOW, True)]
        with pytest.raises(InvalidInput):
            file(self.spec(), FRA_MINISTER, PositionKind.COUNTERSIGNED, entries=entries)

    def test_a_minister_may_break_again_over_a_pending_break(self) -> None:
        file(self.spec(), FRA_MINISTER, PositionKind.BREAK, entries=self.pending())


class TestAdReferendum:
    def spec(self) -> Spec:
        return make_spec(Kind.MEETING, concluded_at=NOW)

    def test_a_capital_official_confirms_after_the_conclusion(self) -> None:
        entries = [Entry(1, "FRA", PositionKind.AD_REFERENDUM, T0)]
        later = NOW + timedelta(hours=2)
        for kind in (PositionKind.AD_REF_CONFIRMED, PositionKind.AD_REF_WITHDRAWN):
            file(self.spec(), FRA_CAPITAL, kind, entries=entries, now=later)
            with pytest.raises(NotAllowed):
                file(self.spec(), FRA_HEAD, kind, entries=entries, now=later)
            with pytest.raises(NotAllowed):
                file(self.spec(), DEU_MINISTER, kind, entries=entries, now=later)

    def test_nothing_to_confirm(self) -> None:
        joined = [Entry(1, "FRA", PositionKind.JOIN, T0)]
        confirmed = [
            Entry(1, "FRA", PositionKind.AD_REFERENDUM, T0),
            Entry(2, "FRA", PositionKind.AD_REF_CONFIRMED, NOW),
        ]
        for entries in ([], joined, confirmed):
            with pytest.raises(InvalidInput, match="no ad referendum agreement"):
                file(self.spec(), FRA_CAPITAL, PositionKind.AD_REF_CONFIRMED, entries=entries)

    def test_other_positions_are_closed_after_the_conclusion(self) -> None:
        with pytest.raises(IllegalTransition, match="positions are closed"):
            file(self.spec(), FRA_HEAD, PositionKind.JOIN)
        file(make_spec(Kind.MEETING), FRA_HEAD, PositionKind.JOIN)


class TestStandAside:
    def test_refused_unless_the_body_allows_coalitions_within(self) -> None:
        with pytest.raises(NotAllowed, match="does not allow standing aside"):
            file(make_spec(Kind.MEETING), FRA_HEAD, PositionKind.STAND_ASIDE)

    def test_allowed_while_someone_stays_bound(self) -> None:
        spec = make_spec(Kind.MEETING, settings=Settings(coalitions_within=True))
        file(spec, FRA_HEAD, PositionKind.STAND_ASIDE)
        entries = [Entry(1, "DEU", PositionKind.STAND_ASIDE, T0)]
        file(spec, FRA_HEAD, PositionKind.STAND_ASIDE, entries=entries)

    def test_refused_when_it_would_leave_nobody_bound(self) -> None:
        spec = make_spec(Kind.MEETING, settings=Settings(coalitions_within=True))
        entries = [
            Entry(1, "BEL", PositionKind.STAND_ASIDE, T0),
            Entry(2, "DEU", PositionKind.STAND_ASIDE, T0),
        ]
        with pytest.raises(InvalidInput, match="at least one participant must remain bound"):
            file(spec, FRA_HEAD, PositionKind.STAND_ASIDE, entries=entries)
        alone = make_spec(
            Kind.MEETING, participants=("FRA",), settings=Settings(coalitions_within=True)
        )
        with pytest.raises(InvalidInput):
            file(alone, FRA_HEAD, PositionKind.STAND_ASIDE)

    def test_a_stand_aside_taken_back_frees_the_way(self) -> None:
        spec = make_spec(Kind.MEETING, settings=Settings(coalitions_within=True))
        entries = [
            Entry(1, "BEL", PositionKind.STAND_ASIDE, T0),
            Entry(2, "DEU", PositionKind.STAND_ASIDE, T0),
            Entry(3, "DEU", PositionKind.JOIN, T0 + timedelta(minutes=1)),
        ]
        file(spec, FRA_HEAD, PositionKind.STAND_ASIDE, entries=entries)


class TestFootnotes:
    def test_a_footnote_names_its_paragraph(self) -> None:
        spec = make_spec(Kind.MEETING)
        for paragraph in (None, 0, -1):
            with pytest.raises(InvalidInput, match="names the paragraph"):
                file(spec, FRA_HEAD, PositionKind.FOOTNOTE, paragraph=paragraph)
        file(spec, FRA_HEAD, PositionKind.FOOTNOTE, paragraph=1)
        file(spec, FRA_HEAD, PositionKind.FOOTNOTE_WITHDRAWN, paragraph=1, statement="")


class TestDelegated:
    def test_a_second_call_up_is_refused(self) -> None:
        spec = make_spec(Kind.DELEGATED)
        entries = [Entry(1, "FRA", PositionKind.CALL_UP, T0, statement="To the Council.")]
        with pytest.raises(InvalidInput, match="already called this decision up"):
            file(spec, FRA_HEAD, PositionKind.CALL_UP, entries=entries)
        file(spec, DEU_HEAD, PositionKind.CALL_UP, state="DEU", entries=entries)


def test_check_chair() -> None:
    check_chair(CHAIR, True, "the Council")
    with pytest.raises(NotAllowed, match="does not chair the Council"):
        check_chair(SECRETARY, False, "the Council")
