"""The outcome function: what a procedure amounts to at a given instant."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concord.domain.alliance import Actor, Role
from concord.domain.errors import DeadlinePassed, DomainError, InvalidInput
from concord.domain.procedures import (
    KIND_POSITIONS,
    Entry,
    Evaluation,
    Kind,
    PositionKind,
    Settings,
    Spec,
    State,
    check_extend,
    check_open,
    check_position,
    evaluate,
)
from concord.domain.rules import DecisionRule, RuleKind, Stance

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EXPIRY = T0 + timedelta(hours=72)
US = timedelta(microseconds=1)
HOUR = timedelta(hours=1)
ALLIES = ("BEL", "DEU", "FRA")

UNANIMITY = DecisionRule(RuleKind.UNANIMITY)
MINISTERIAL = Settings(ministerial_objections=True)
COALITIONS = Settings(coalitions_within=True)


def make_spec(kind: Kind = Kind.SILENCE, **changes: Any) -> Spec:
    base = Spec(
        kind=kind,
        rule=DecisionRule(),
        participants=ALLIES,
        opened_at=T0,
        expires_at=EXPIRY,
    )
    return dataclasses.replace(base, **changes)


class Log:
    """Entries in commit order, numbered as the store would number them."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(
        self,
        state: str,
        kind: PositionKind,
        at: datetime,
        *,
        ministerial: bool = False,
        statement: str = "",
        paragraph: int | None = None,
    ) -> Entry:
        entry = Entry(len(self.entries) + 1, state, kind, at, ministerial, statement, paragraph)
        self.entries.append(entry)
        return entry


def log_of(*items: tuple[str, PositionKind, datetime]) -> list[Entry]:
    log = Log()
    for state, kind, at in items:
        log.add(state, kind, at)
    return log.entries


# -- silence ------------------------------------------------------------------------------------


class TestSilence:
    def test_adopted_at_expiry_without_a_break(self) -> None:
        for now in (EXPIRY, EXPIRY + US, EXPIRY + timedelta(days=30)):
            result = evaluate(make_spec(), [], now)
            assert result.state is State.ADOPTED
            assert result.decided_at == EXPIRY
            assert result.stances == dict.fromkeys(ALLIES, Stance.CONSENT)
            assert result.bound == ALLIES

    def test_open_before_expiry(self) -> None:
        for now in (T0, EXPIRY - HOUR, EXPIRY - US):
            result = evaluate(make_spec(), [], now)
            assert result.state is State.OPEN
            assert result.decided_at is None

    def test_a_break_one_microsecond_before_expiry_counts(self) -> None:
        entries = log_of(("FRA", PositionKind.BREAK, EXPIRY - US))
        result = evaluate(make_spec(), entries, EXPIRY)
        assert result.state is State.NOT_ADOPTED
        assert result.decided_at == EXPIRY
        assert result.objecting == ("FRA",)

    def test_a_break_at_exactly_expiry_does_not_count(self) -> None:
        entries = log_of(("FRA", PositionKind.BREAK, EXPIRY))
        result = evaluate(make_spec(), entries, EXPIRY)
        assert result.state is State.ADOPTED
        assert result.objecting == ()
        later = evaluate(make_spec(), entries, EXPIRY + HOUR)
        assert later.state is State.ADOPTED

    def test_a_break_is_visible_as_soon_as_it_is_filed(self) -> None:
        entries = log_of(("DEU", PositionKind.BREAK, T0 + HOUR))
        assert evaluate(make_spec(), entries, T0 + HOUR - US).objecting == ()
        assert evaluate(make_spec(), entries, T0 + HOUR).objecting == ("DEU",)

    def test_the_2003_case_three_allies_break(self) -> None:
        spec = make_spec(participants=("BEL", "DEU", "FRA", "GBR", "TUR", "USA"))
        entries = log_of(
            ("BEL", PositionKind.BREAK, T0 + HOUR),
            ("FRA", PositionKind.BREAK, T0 + 2 * HOUR),
            ("DEU", PositionKind.BREAK, T0 + 3 * HOUR),
        )
        result = evaluate(spec, entries, EXPIRY)
        assert result.state is State.NOT_ADOPTED
        assert result.objecting == ("BEL", "DEU", "FRA")

    def test_entries_of_non_participants_are_ignored(self) -> None:
        entries = log_of(("UKR", PositionKind.BREAK, T0 + HOUR))
        result = evaluate(make_spec(), entries, EXPIRY)
        assert result.state is State.ADOPTED
        assert set(result.participants) == set(ALLIES)

    def test_check_position_refuses_a_break_at_expiry(self) -> None:
        head = Actor("fra.head", Role.DELEGATION_HEAD, "FRA")
        for now in (EXPIRY, EXPIRY + US, EXPIRY + HOUR):
            with pytest.raises(DeadlinePassed):
                check_position(
                    make_spec(), [], actor=head, state="FRA", kind=PositionKind.BREAK,
                    statement="We object.", paragraph=None, now=now,
                )  # fmt: skip

    def test_check_position_accepts_a_break_one_microsecond_before_expiry(self) -> None:
        head = Actor("fra.head", Role.DELEGATION_HEAD, "FRA")
        check_position(
            make_spec(), [], actor=head, state="FRA", kind=PositionKind.BREAK,
            statement="We object.", paragraph=None, now=EXPIRY - US,
        )  # fmt: skip


class TestMinisterialObjections:
    def spec(self) -> Spec:
        return make_spec(settings=MINISTERIAL)

    def test_a_delegation_break_is_pending(self) -> None:
        log = Log()
        log.add("FRA", PositionKind.BREAK, T0 + HOUR, statement="We object.")
        result = evaluate(self.spec(), log.entries, T0 + 2 * HOUR)
        assert result.state is State.OPEN
        assert result.pending == ("FRA",)
        assert result.objecting == ()
        assert result.participants["FRA"].latest is PositionKind.BREAK

    def test_a_pending_break_does_not_count_at_expiry(self) -> None:
        log = Log()
        log.add("FRA", PositionKind.BREAK, T0 + HOUR, statement="We object.")
        result = evaluate(self.spec(), log.entries, EXPIRY)
        assert result.state is State.ADOPTED
        assert result.pending == ()
        assert result.objecting == ()

    def test_a_countersignature_before_expiry_makes_it_count(self) -> None:
        log = Log()
        log.add("FRA", PositionKind.BREAK, T0 + HOUR, statement="We object.")
        log.add("FRA", PositionKind.COUNTERSIGNED, EXPIRY - US, ministerial=True)
        assert evaluate(self.spec(), log.entries, EXPIRY - 2 * US).pending == ("FRA",)
        counted = evaluate(self.spec(), log.entries, EXPIRY - US)
        assert counted.pending == ()
        assert counted.objecting == ("FRA",)
        result = evaluate(self.spec(), log.entries, EXPIRY)
        assert result.state is State.NOT_ADOPTED
        assert result.objecting == ("FRA",)

    def test_a_countersignature_at_expiry_is_too_late(self) -> None:
        log = Log()
        log.add("FRA", PositionKind.BREAK, T0 + HOUR, statement="We object.")
        log.add("FRA", PositionKind.COUNTERSIGNED, EXPIRY, ministerial=True)
        assert evaluate(self.spec(), log.entries, EXPIRY).state is State.ADOPTED

    def test_another_states_countersignature_does_not_help(self) -> None:
        log = Log()
        log.add("FRA", PositionKind.BREAK, T0 + HOUR, statement="We object.")
        log.add("DEU", PositionKind.COUNTERSIGNED, T0 + 2 * HOUR, ministerial=True)
        assert evaluate(self.spec(), log.entries, EXPIRY).state is State.ADOPTED

    def test_a_ministerial_break_counts_at_once(self) -> None:
        log = Log()
        log.add("FRA", PositionKind.BREAK, T0 + HOUR, ministerial=True, statement="No.")
        now = evaluate(self.spec(), log.entries, T0 + HOUR)
        assert now.objecting == ("FRA",)
        assert now.pending == ()
        assert evaluate(self.spec(), log.entries, EXPIRY).state is State.NOT_ADOPTED

    def test_without_the_setting_any_break_counts(self) -> None:
        log = Log()
        log.add("FRA", PositionKind.BREAK, T0 + HOUR, statement="We object.")
        result = evaluate(make_spec(), log.entries, T0 + 2 * HOUR)
        assert result.objecting == ("FRA",)
        assert result.pending == ()


class TestWithdrawal:
    def test_withdrawn(self) -> None:
        spec = make_spec(withdrawn_at=T0 + 5 * HOUR)
        assert evaluate(spec, [], T0 + 5 * HOUR - US).state is State.OPEN
        for now in (T0 + 5 * HOUR, EXPIRY, EXPIRY + HOUR):
            result = evaluate(spec, [], now)
            assert result.state is State.WITHDRAWN
            assert result.decided_at == T0 + 5 * HOUR

    def test_positions_after_withdrawal_are_ignored(self) -> None:
        spec = make_spec(withdrawn_at=T0 + 5 * HOUR)
        entries = log_of(
            ("BEL", PositionKind.BREAK, T0 + HOUR),
            ("FRA", PositionKind.BREAK, T0 + 5 * HOUR),
        )
        result = evaluate(spec, entries, EXPIRY)
        assert result.state is State.WITHDRAWN
        assert result.objecting == ("BEL",)

    @pytest.mark.parametrize("kind", list(Kind), ids=lambda k: k.value)
    def test_every_kind_can_be_withdrawn(self, kind: Kind) -> None:
        spec = make_spec(kind, withdrawn_at=T0 + HOUR)
        assert evaluate(spec, [], T0 + HOUR).state is State.WITHDRAWN


class TestExtension:
    def test_extension_before_expiry_to_a_later_moment(self) -> None:
        check_extend(make_spec(), EXPIRY + US, T0 + HOUR)
        check_extend(make_spec(), EXPIRY + timedelta(days=2), EXPIRY - US)

    def test_refused_at_or_after_expiry(self) -> None:
        for now in (EXPIRY, EXPIRY + HOUR):
            with pytest.raises(DeadlinePassed, match="can no longer be extended"):
                check_extend(make_spec(), EXPIRY + timedelta(days=2), now)

    def test_refused_to_an_earlier_or_equal_moment(self) -> None:
        for new in (EXPIRY, EXPIRY - US, T0):
            with pytest.raises(InvalidInput, match="later than"):
                check_extend(make_spec(), new, T0 + HOUR)

    def test_after_an_extension_a_break_before_the_new_expiry_counts(self) -> None:
        extended = make_spec(expires_at=EXPIRY + timedelta(days=1))
        entries = log_of(("DEU", PositionKind.BREAK, EXPIRY + HOUR))
        assert evaluate(extended, entries, EXPIRY).state is State.OPEN
        result = evaluate(extended, entries, EXPIRY + timedelta(days=1))
        assert result.state is State.NOT_ADOPTED
        assert result.decided_at == EXPIRY + timedelta(days=1)


class TestOpening:
    def test_a_valid_procedure_opens(self) -> None:
        check_open(make_spec(), T0)

    def test_refused_when_the_expiry_is_not_in_the_future(self) -> None:
        for now in (EXPIRY, EXPIRY + HOUR):
            with pytest.raises(InvalidInput, match="not in the future"):
                check_open(make_spec(), now)

    def test_refused_below_the_minimum_silence(self) -> None:
        spec = make_spec(settings=Settings(minimum_silence=timedelta(hours=72)))
        check_open(spec, T0)  # exactly 72 hours
        with pytest.raises(InvalidInput, match="minimum of 72 h"):
            check_open(spec, T0 + US)
        short = make_spec(settings=Settings(minimum_silence=timedelta(minutes=90)))
        with pytest.raises(InvalidInput, match="minimum of 1 h 30 min"):
            check_open(short, EXPIRY - HOUR)

    def test_the_minimum_silence_applies_to_silence_procedures_only(self) -> None:
        settings_ = Settings(minimum_silence=timedelta(hours=72))
        for kind in (Kind.MEETING, Kind.WRITTEN, Kind.DELEGATED):
            check_open(make_spec(kind, settings=settings_), EXPIRY - HOUR)

    def test_refused_without_participants(self) -> None:
        with pytest.raises(InvalidInput, match="nobody would decide"):
            check_open(make_spec(participants=()), T0)


# -- meeting ------------------------------------------------------------------------------------

CONCLUDED = T0 + 2 * HOUR


def meeting(**changes: Any) -> Spec:
    return make_spec(Kind.MEETING, **({"concluded_at": CONCLUDED} | changes))


class TestMeeting:
    def test_concluded_with_joins_is_adopted_at_the_conclusion(self) -> None:
        entries = log_of(*((s, PositionKind.JOIN, T0 + HOUR) for s in ALLIES))
        assert evaluate(meeting(), entries, CONCLUDED - US).state is State.OPEN
        for now in (CONCLUDED, EXPIRY + HOUR):
            result = evaluate(meeting(), entries, now)
            assert result.state is State.ADOPTED
            assert result.decided_at == CONCLUDED

    def test_silence_at_the_table_is_consent(self) -> None:
        assert evaluate(meeting(), [], CONCLUDED).state is State.ADOPTED

    def test_an_objection_is_not_adopted_at_the_conclusion(self) -> None:
        entries = log_of(
            ("BEL", PositionKind.JOIN, T0 + HOUR),
            ("DEU", PositionKind.OBJECT, T0 + HOUR),
        )
        result = evaluate(meeting(), entries, CONCLUDED)
        assert result.state is State.NOT_ADOPTED
        assert result.decided_at == CONCLUDED
        assert result.objecting == ("DEU",)

    def test_positions_after_the_conclusion_do_not_count(self) -> None:
        entries = log_of(("DEU", PositionKind.OBJECT, CONCLUDED))
        assert evaluate(meeting(), entries, EXPIRY).state is State.ADOPTED

    def test_the_latest_position_counts(self) -> None:
        entries = log_of(
            ("DEU", PositionKind.OBJECT, T0 + HOUR),
            ("DEU", PositionKind.JOIN, T0 + HOUR + US),
        )
        assert evaluate(meeting(), entries, CONCLUDED).state is State.ADOPTED

    def test_ad_referendum_awaits_confirmation_then_is_adopted_at_the_confirmation(self) -> None:
        confirmed_at = CONCLUDED + 3 * HOUR
        entries = log_of(
            ("BEL", PositionKind.JOIN, T0 + HOUR),
            ("DEU", PositionKind.AD_REFERENDUM, T0 + HOUR),
            ("DEU", PositionKind.AD_REF_CONFIRMED, confirmed_at),
        )
        waiting = evaluate(meeting(), entries, CONCLUDED)
        assert waiting.state is State.AWAITING_CONFIRMATION
        assert waiting.decided_at is None
        assert waiting.stances["DEU"] is Stance.OUTSTANDING
        assert evaluate(meeting(), entries, confirmed_at - US).state is (
            State.AWAITING_CONFIRMATION
        )
        for now in (confirmed_at, EXPIRY, EXPIRY + HOUR):
            result = evaluate(meeting(), entries, now)
            assert result.state is State.ADOPTED
            assert result.decided_at == confirmed_at
            assert result.stances["DEU"] is Stance.CONSENT

    def test_ad_referendum_withdrawn_is_not_adopted(self) -> None:
        withdrawn_at = CONCLUDED + 3 * HOUR
        entries = log_of(
            ("DEU", PositionKind.AD_REFERENDUM, T0 + HOUR),
            ("DEU", PositionKind.AD_REF_WITHDRAWN, withdrawn_at),
        )
        result = evaluate(meeting(), entries, withdrawn_at)
        assert result.state is State.NOT_ADOPTED
        assert result.decided_at == withdrawn_at
        assert result.objecting == ("DEU",)

    def test_unconfirmed_ad_referendum_lapses_at_expiry(self) -> None:
        entries = log_of(("DEU", PositionKind.AD_REFERENDUM, T0 + HOUR))
        assert evaluate(meeting(), entries, EXPIRY - US).state is State.AWAITING_CONFIRMATION
        result = evaluate(meeting(), entries, EXPIRY)
        assert result.state is State.NOT_ADOPTED
        assert result.decided_at == EXPIRY
        assert result.objecting == ("DEU",)

    def test_a_confirmation_at_expiry_is_too_late(self) -> None:
        entries = log_of(
            ("DEU", PositionKind.AD_REFERENDUM, T0 + HOUR),
            ("DEU", PositionKind.AD_REF_CONFIRMED, EXPIRY),
        )
        assert evaluate(meeting(), entries, EXPIRY).state is State.NOT_ADOPTED

    def test_one_objection_settles_it_even_while_an_ad_ref_is_pending(self) -> None:
        entries = log_of(
            ("BEL", PositionKind.OBJECT, T0 + HOUR),
            ("DEU", PositionKind.AD_REFERENDUM, T0 + HOUR),
        )
        result = evaluate(meeting(), entries, CONCLUDED)
        assert result.state is State.NOT_ADOPTED
        assert result.decided_at == CONCLUDED

    def test_two_ad_refs_settle_when_the_last_is_confirmed(self) -> None:
        entries = log_of(
            ("BEL", PositionKind.AD_REFERENDUM, T0 + HOUR),
            ("DEU", PositionKind.AD_REFERENDUM, T0 + HOUR),
            ("DEU", PositionKind.AD_REF_CONFIRMED, CONCLUDED + HOUR),
            ("BEL", PositionKind.AD_REF_CONFIRMED, CONCLUDED + 2 * HOUR),
        )
        assert evaluate(meeting(), entries, CONCLUDED + HOUR).state is (State.AWAITING_CONFIRMATION)
        result = evaluate(meeting(), entries, EXPIRY)
        assert result.state is State.ADOPTED
        assert result.decided_at == CONCLUDED + 2 * HOUR

    def test_never_concluded_by_expiry_is_not_adopted(self) -> None:
        entries = log_of(*((s, PositionKind.JOIN, T0 + HOUR) for s in ALLIES))
        for spec in (meeting(concluded_at=None), meeting(concluded_at=EXPIRY)):
            assert evaluate(spec, entries, EXPIRY - US).state is State.OPEN
            result = evaluate(spec, entries, EXPIRY)
            assert result.state is State.NOT_ADOPTED
            assert result.decided_at == EXPIRY

    def test_a_stand_aside_is_not_bound(self) -> None:
        entries = log_of(
            ("BEL", PositionKind.JOIN, T0 + HOUR),
            ("DEU", PositionKind.STAND_ASIDE, T0 + HOUR),
            ("FRA", PositionKind.JOIN, T0 + HOUR),
        )
        result = evaluate(meeting(settings=COALITIONS), entries, CONCLUDED)
        assert result.state is State.ADOPTED
        assert result.bound == ("BEL", "FRA")
        assert result.stances["DEU"] is Stance.STAND_ASIDE
        assert result.participants["DEU"].latest is PositionKind.STAND_ASIDE

    def test_a_stand_aside_under_unanimity_does_not_block(self) -> None:
        entries = log_of(("DEU", PositionKind.STAND_ASIDE, T0 + HOUR))
        spec = meeting(rule=UNANIMITY, settings=COALITIONS)
        assert evaluate(spec, entries, CONCLUDED).state is State.ADOPTED

    def test_footnotes_and_statements_are_collected(self) -> None:
        log = Log()
        dnk = log.add("DEU", PositionKind.FOOTNOTE, T0 + HOUR, statement="Reserve", paragraph=3)
        log.add("DEU", PositionKind.FOOTNOTE, T0 + HOUR, statement="Also", paragraph=4)
        log.add("FRA", PositionKind.FOOTNOTE, T0 + HOUR, statement="Doubt", paragraph=5)
        stmt = log.add("BEL", PositionKind.STATEMENT, T0 + HOUR, statement="We read it so.")
        log.add("DEU", PositionKind.FOOTNOTE_WITHDRAWN, T0 + HOUR + US, paragraph=4)
        log.add("FRA", PositionKind.FOOTNOTE_WITHDRAWN, T0 + HOUR + US, paragraph=5)
        result = evaluate(meeting(), log.entries, CONCLUDED)
        assert result.state is State.ADOPTED  # a footnote signals dissent but does not block
        assert result.footnotes == (dnk,)
        assert result.statements == (stmt,)
        assert result.stances == dict.fromkeys(ALLIES, Stance.CONSENT)

    def test_a_footnote_replaced_on_the_same_paragraph_keeps_the_latest(self) -> None:
        log = Log()
        log.add("DEU", PositionKind.FOOTNOTE, T0 + HOUR, statement="First", paragraph=3)
        second = log.add("DEU", PositionKind.FOOTNOTE, T0 + HOUR, statement="Second", paragraph=3)
        assert evaluate(meeting(), log.entries, CONCLUDED).footnotes == (second,)

    def test_annotations_filed_later_are_not_shown_earlier(self) -> None:
        log = Log()
        log.add("BEL", PositionKind.STATEMENT, T0 + HOUR, statement="Later.")
        assert evaluate(meeting(concluded_at=None), log.entries, T0 + HOUR - US).statements == ()
        assert len(evaluate(meeting(concluded_at=None), log.entries, T0 + HOUR).statements) == 1

    def test_ministerial_objection_awaits_countersignature_after_the_conclusion(self) -> None:
        spec = meeting(settings=MINISTERIAL)
        log = Log()
        log.add("DEU", PositionKind.OBJECT, T0 + HOUR, statement="No.")
        waiting = evaluate(spec, log.entries, CONCLUDED)
        assert waiting.state is State.AWAITING_CONFIRMATION
        assert waiting.pending == ("DEU",)
        assert evaluate(spec, log.entries, EXPIRY).state is State.ADOPTED
        signed_at = CONCLUDED + HOUR
        log.add("DEU", PositionKind.COUNTERSIGNED, signed_at, ministerial=True)
        result = evaluate(spec, log.entries, EXPIRY)
        assert result.state is State.NOT_ADOPTED
        assert result.decided_at == signed_at


# -- written procedure --------------------------------------------------------------------------


def written(**changes: Any) -> Spec:
    return make_spec(Kind.WRITTEN, **changes)


class TestWritten:
    def test_no_reply_is_not_adopted_at_expiry(self) -> None:
        assert evaluate(written(), [], EXPIRY - US).state is State.OPEN
        result = evaluate(written(), [], EXPIRY)
        assert result.state is State.NOT_ADOPTED
        assert result.stances == dict.fromkeys(ALLIES, Stance.OUTSTANDING)

    def test_one_missing_reply_is_enough_to_fail(self) -> None:
        entries = log_of(("BEL", PositionKind.APPROVE, T0), ("DEU", PositionKind.APPROVE, T0))
        assert evaluate(written(), entries, EXPIRY).state is State.NOT_ADOPTED

    def test_all_approve_is_adopted(self) -> None:
        entries = log_of(*((s, PositionKind.APPROVE, T0 + HOUR) for s in ALLIES))
        assert evaluate(written(), entries, EXPIRY - US).state is State.OPEN
        result = evaluate(written(), entries, EXPIRY)
        assert result.state is State.ADOPTED
        assert result.decided_at == EXPIRY

    def test_abstention_is_allowed_under_consensus_but_blocks_unanimity(self) -> None:
        entries = log_of(
            ("BEL", PositionKind.APPROVE, T0 + HOUR),
            ("DEU", PositionKind.ABSTAIN, T0 + HOUR),
            ("FRA", PositionKind.APPROVE, T0 + HOUR),
        )
        assert evaluate(written(), entries, EXPIRY).state is State.ADOPTED
        assert evaluate(written(rule=UNANIMITY), entries, EXPIRY).state is State.NOT_ADOPTED

    def test_a_scrutiny_reservation_counts_as_not_approving(self) -> None:
        entries = log_of(
            ("BEL", PositionKind.APPROVE, T0 + HOUR),
            ("DEU", PositionKind.SCRUTINY_RESERVATION, T0 + HOUR),
            ("FRA", PositionKind.APPROVE, T0 + HOUR),
        )
        result = evaluate(written(), entries, EXPIRY)
        assert result.state is State.NOT_ADOPTED
        assert result.stances["DEU"] is Stance.OUTSTANDING
        lifted = [*entries, Entry(4, "DEU", PositionKind.APPROVE, T0 + 2 * HOUR)]
        assert evaluate(written(), lifted, EXPIRY).state is State.ADOPTED

    def test_an_objection_is_not_adopted(self) -> None:
        entries = log_of(
            ("BEL", PositionKind.APPROVE, T0 + HOUR),
            ("DEU", PositionKind.OBJECT, T0 + HOUR),
            ("FRA", PositionKind.APPROVE, T0 + HOUR),
        )
        result = evaluate(written(), entries, EXPIRY)
        assert result.state is State.NOT_ADOPTED
        assert result.objecting == ("DEU",)

    def test_an_uncountersigned_objection_is_still_no_approval(self) -> None:
        log = Log()
        for s in ("BEL", "FRA"):
            log.add(s, PositionKind.APPROVE, T0 + HOUR)
        log.add("DEU", PositionKind.OBJECT, T0 + HOUR, statement="No.")
        result = evaluate(written(settings=MINISTERIAL), log.entries, EXPIRY)
        assert result.objecting == ()
        assert result.state is State.NOT_ADOPTED

    def test_qualified_majority(self) -> None:
        rule = DecisionRule(RuleKind.QUALIFIED_MAJORITY, Decimal("0.5"), Decimal("0.65"))
        pops = {"BEL": Decimal("11.8"), "DEU": Decimal("84.5"), "FRA": Decimal("68.4")}
        entries = log_of(
            ("DEU", PositionKind.APPROVE, T0 + HOUR), ("FRA", PositionKind.APPROVE, T0 + HOUR)
        )
        spec = written(rule=rule, populations=pops)
        assert evaluate(spec, entries, EXPIRY).state is State.ADOPTED
        entries = log_of(
            ("BEL", PositionKind.APPROVE, T0 + HOUR), ("FRA", PositionKind.APPROVE, T0 + HOUR)
        )
        assert evaluate(spec, entries, EXPIRY).state is State.NOT_ADOPTED


# -- delegated authority ------------------------------------------------------------------------


class TestDelegated:
    def test_without_call_up_adopted_at_expiry(self) -> None:
        spec = make_spec(Kind.DELEGATED)
        assert evaluate(spec, [], EXPIRY - US).state is State.OPEN
        result = evaluate(spec, [], EXPIRY)
        assert result.state is State.ADOPTED
        assert result.decided_at == EXPIRY

    def test_a_call_up_settles_it_at_once(self) -> None:
        spec = make_spec(Kind.DELEGATED)
        called = T0 + 3 * HOUR
        entries = log_of(
            ("DEU", PositionKind.CALL_UP, called),
            ("FRA", PositionKind.CALL_UP, called + HOUR),
        )
        assert evaluate(spec, entries, called - US).state is State.OPEN
        for now in (called, EXPIRY, EXPIRY + HOUR):
            result = evaluate(spec, entries, now)
            assert result.state is State.CALLED_UP
            assert result.decided_at == called
        assert evaluate(spec, entries, called).called_up_by == ("DEU",)
        assert evaluate(spec, entries, EXPIRY).called_up_by == ("DEU", "FRA")

    def test_a_call_up_at_expiry_is_too_late(self) -> None:
        spec = make_spec(Kind.DELEGATED)
        entries = log_of(("DEU", PositionKind.CALL_UP, EXPIRY))
        assert evaluate(spec, entries, EXPIRY).state is State.ADOPTED


# -- properties ---------------------------------------------------------------------------------

OUTSIDER = "UKR"
around_expiry = st.one_of(
    st.sampled_from([-US, timedelta(0), US, -HOUR, HOUR, -2 * US]),
    st.timedeltas(min_value=-timedelta(hours=71), max_value=timedelta(hours=3)),
).map(lambda d: EXPIRY + d)


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.sampled_from((*ALLIES, OUTSIDER)), around_expiry), max_size=8),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
)
def test_silence_fails_exactly_when_a_participant_broke_before_expiry(
    breaks: list[tuple[str, datetime]], after: timedelta
) -> None:
    log = Log()
    for state, at in sorted(breaks, key=lambda b: b[1]):
        log.add(state, PositionKind.BREAK, at, statement="We object.")
    broken = any(e.state in ALLIES and e.at < EXPIRY for e in log.entries)
    result = evaluate(make_spec(), log.entries, EXPIRY + after)
    assert result.state is (State.NOT_ADOPTED if broken else State.ADOPTED)
    assert result.decided_at == EXPIRY
    assert set(result.objecting) == {e.state for e in log.entries if e.at < EXPIRY} & set(ALLIES)


ACTORS = {
    "head": (Role.DELEGATION_HEAD, False),
    "capital": (Role.CAPITAL_OFFICIAL, False),
    "minister": (Role.CAPITAL_OFFICIAL, True),
}


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(ALLIES),
            st.sampled_from([PositionKind.BREAK, PositionKind.COUNTERSIGNED]),
            st.sampled_from(sorted(ACTORS)),
            around_expiry,
        ),
        max_size=10,
    ),
    st.booleans(),
)
def test_silence_outcome_matches_effective_breaks_in_a_committed_log(
    attempts: list[tuple[str, PositionKind, str, datetime]], ministerial_objections: bool
) -> None:
    """Positions committed through check_position, then late entries that slipped in anyway."""
    spec = make_spec(settings=Settings(ministerial_objections=ministerial_objections))
    log = Log()
    for state, kind, who, at in sorted(attempts, key=lambda a: a[3]):
        role, ministerial = ACTORS[who]
        actor = Actor(f"{who}.{state}", role, state, ministerial)
        try:
            check_position(
                spec, log.entries, actor=actor, state=state, kind=kind,
                statement="We object.", paragraph=None, now=at,
            )  # fmt: skip
        except DomainError:
            if at >= EXPIRY:  # record it anyway: evaluate must ignore it
                log.add(state, kind, at, ministerial=ministerial, statement="Late.")
            continue
        assert at < EXPIRY
        log.add(state, kind, at, ministerial=ministerial, statement="We object.")

    def effective(entry: Entry) -> bool:
        if entry.kind is not PositionKind.BREAK or entry.at >= EXPIRY:
            return False
        if not ministerial_objections or entry.ministerial:
            return True
        return any(
            e.kind is PositionKind.COUNTERSIGNED
            and e.state == entry.state
            and e.seq > entry.seq
            and e.at < EXPIRY
            for e in log.entries
        )

    broken = any(effective(e) for e in log.entries)
    result = evaluate(spec, log.entries, EXPIRY)
    assert result.state is (State.NOT_ADOPTED if broken else State.ADOPTED)
    assert result.pending == ()


def _entries_for(kind: Kind) -> st.SearchStrategy[list[Entry]]:
    item = st.tuples(
        st.sampled_from((*ALLIES, OUTSIDER)),
        st.sampled_from(sorted(KIND_POSITIONS[kind])),
        around_expiry,
        st.booleans(),
        st.sampled_from([None, 1, 2]),
    )

    def build(items: list[tuple[str, PositionKind, datetime, bool, int | None]]) -> list[Entry]:
        ordered = sorted(items, key=lambda i: i[2])
        return [
            Entry(n, state, pk, at, ministerial, "text", paragraph)
            for n, (state, pk, at, ministerial, paragraph) in enumerate(ordered, start=1)
        ]

    return st.lists(item, max_size=10).map(build)


@st.composite
def procedures(draw: st.DrawFn) -> tuple[Spec, list[Entry]]:
    kind = draw(st.sampled_from(list(Kind)))
    spec = make_spec(
        kind,
        rule=draw(
            st.sampled_from(
                [DecisionRule(k) for k in RuleKind if k is not RuleKind.QUALIFIED_MAJORITY]
            )
        ),
        settings=Settings(
            ministerial_objections=draw(st.booleans()), coalitions_within=draw(st.booleans())
        ),
        concluded_at=draw(st.none() | around_expiry) if kind is Kind.MEETING else None,
    )
    return spec, draw(_entries_for(kind))


def _assert_consistent(result: Evaluation, now: datetime) -> None:
    if result.state.final:
        assert result.decided_at is not None
        assert result.decided_at <= now
    else:
        assert result.decided_at is None


@settings(max_examples=200)
@given(procedures(), around_expiry, st.timedeltas(min_value=timedelta(0), max_value=2 * HOUR))
def test_once_final_the_outcome_never_changes(
    procedure: tuple[Spec, list[Entry]], first: datetime, gap: timedelta
) -> None:
    spec, entries = procedure
    earlier = evaluate(spec, entries, first)
    later = evaluate(spec, entries, first + gap)
    _assert_consistent(earlier, first)
    _assert_consistent(later, first + gap)
    if earlier.state.final:
        assert (later.state, later.decided_at) == (earlier.state, earlier.decided_at)
    assert evaluate(spec, entries, max(first, EXPIRY)).state.final


@settings(max_examples=200)
@given(procedures(), around_expiry, st.randoms(use_true_random=False))
def test_the_outcome_does_not_depend_on_the_order_entries_are_passed_in(
    procedure: tuple[Spec, list[Entry]], now: datetime, rnd: random.Random
) -> None:
    spec, entries = procedure
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    assert evaluate(spec, shuffled, now) == evaluate(spec, entries, now)


@settings(max_examples=200)
@given(procedures(), around_expiry)
def test_entries_of_non_participants_never_matter(
    procedure: tuple[Spec, list[Entry]], now: datetime
) -> None:
    spec, entries = procedure
    insiders = [e for e in entries if e.state in spec.participants]
    outsiders = [e for e in entries if e.state not in spec.participants]
    assert evaluate(spec, entries, now) == evaluate(spec, insiders, now), outsiders


def test_a_call_up_by_a_non_participant_is_ignored() -> None:
    spec = make_spec(Kind.DELEGATED)
    entries = log_of(("UKR", PositionKind.CALL_UP, T0 + HOUR))
    result = evaluate(spec, entries, EXPIRY)
    assert result.state is State.ADOPTED
    assert result.called_up_by == ()
