"""Commitments: reports, reviews, status on a day, and reminders before due dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concord.domain.alliance import Actor, Role
from concord.domain.commitments import (
    Commitment,
    CommitmentKind,
    Reminder,
    Report,
    Review,
    Status,
    Verdict,
    check_report,
    check_review,
    due_instant,
    end_of_year,
    reminders_due,
    standing,
    status,
    trajectory,
)
from concord.domain.errors import InvalidInput, NotAllowed

STATES = frozenset({"DEU", "EST", "POL"})
SPENDING = Commitment(
    "spend-2pc",
    CommitmentKind.SPENDING,
    "Defence spending of at least 2 % of GDP by 2024",
    STATES,
    end_of_year(2024),
    Decimal("2.0"),
    date(2014, 12, 31),
    {"DEU": Decimal("1.2"), "EST": Decimal("2.0")},
)
STANDARD = Commitment(
    "label-standard",
    CommitmentKind.STANDARD,
    "Ratify and implement the common confidentiality labels",
    STATES,
    date(2026, 6, 30),
)
DEU_HEAD = Actor("deu.head", Role.DELEGATION_HEAD, "DEU")
SECRETARY = Actor("secretary", Role.SECRETARIAT_SECRETARY)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def report(
    state: str,
    day: date,
    figure: str | None = None,
    delivered: bool = False,
    review: Review | None = None,
) -> Report:
    return Report(
        state,
        at(day),
        None if figure is None else Decimal(figure),
        "Budget law and national estimate.",
        delivered,
        review,
    )


# -- making commitments and reports ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"target": None}, "target share of GDP"),
        ({"target": Decimal("0")}, "above zero"),
        ({"target": Decimal("101")}, "between 0 and 100"),
        ({"states": frozenset()}, "at least one state"),
        ({"title": " "}, "has a title"),
        ({"baselines": {"FRA": Decimal(1)}}, "FRA has a baseline but is not bound"),
        ({"baseline_on": None}, "with a date"),
        ({"baseline_on": date(2025, 1, 1)}, "before the due date"),
    ],
)
def test_a_spending_commitment_is_refused_when_malformed(
    changes: dict[str, object], message: str
) -> None:
    fields = {
        "id": SPENDING.id,
        "kind": SPENDING.kind,
        "title": SPENDING.title,
        "states": SPENDING.states,
        "due": SPENDING.due,
        "target": SPENDING.target,
        "baseline_on": SPENDING.baseline_on,
        "baselines": SPENDING.baselines,
    }
    with pytest.raises(InvalidInput, match=message):
        Commitment(**(fields | changes))  # type: ignore[arg-type]


def test_a_member_reports_with_evidence_and_a_figure_for_spending() -> None:
    check_report(SPENDING, report("DEU", date(2024, 6, 1), "2.1", delivered=True), actor=DEU_HEAD)
    check_report(STANDARD, report("DEU", date(2025, 6, 1)), actor=DEU_HEAD)
    refusals = [
        (SPENDING, report("DEU", date(2024, 6, 1)), InvalidInput, "gives the share"),
        (SPENDING, report("DEU", date(2024, 6, 1), "1.9", True), InvalidInput, "does not deliver"),
        (SPENDING, report("DEU", date(2024, 6, 1), "120"), InvalidInput, "between 0 and 100"),
        (STANDARD, report("DEU", date(2025, 6, 1), "-1"), InvalidInput, "may not be negative"),
        (STANDARD, report("EST", date(2025, 6, 1)), NotAllowed, "may not speak for EST"),
    ]
    for commitment, r, error, message in refusals:
        with pytest.raises(error, match=message):
            check_report(commitment, r, actor=DEU_HEAD)
    usa = Actor("usa.head", Role.DELEGATION_HEAD, "USA")
    with pytest.raises(NotAllowed, match="USA is not bound"):
        check_report(STANDARD, report("USA", date(2025, 6, 1)), actor=usa)
    bare = Report("DEU", at(date(2025, 6, 1)), None, "  ", False)
    with pytest.raises(InvalidInput, match="gives its evidence"):
        check_report(STANDARD, bare, actor=DEU_HEAD)


def test_only_the_secretariat_reviews_and_a_query_says_why() -> None:
    r = report("DEU", date(2024, 6, 1), "2.1", delivered=True)
    check_review(r, Review(Verdict.ACCEPTED, at(date(2024, 6, 2))), actor=SECRETARY)
    with pytest.raises(NotAllowed, match="only the secretariat"):
        check_review(r, Review(Verdict.ACCEPTED, at(date(2024, 6, 2))), actor=DEU_HEAD)
    with pytest.raises(InvalidInput, match="before the report"):
        check_review(r, Review(Verdict.ACCEPTED, at(date(2024, 5, 1))), actor=SECRETARY)
    with pytest.raises(InvalidInput, match="what is missing"):
        Review(Verdict.QUERIED, at(date(2024, 6, 2)))


# -- status -------------------------------------------------------------------------------------


def test_the_trajectory_is_a_straight_line_to_the_target() -> None:
    start, due = date(2014, 1, 1), date(2024, 1, 1)
    half = start + (due - start) / 2
    assert trajectory(start, Decimal("1.0"), due, Decimal("2.0"), half) == Decimal("1.5")
    assert trajectory(start, Decimal("1.0"), due, Decimal("2.0"), date(2010, 1, 1)) == 1
    assert trajectory(start, Decimal("1.0"), due, Decimal("2.0"), date(2030, 1, 1)) == 2
    assert trajectory(start, Decimal("2.5"), due, Decimal("2.0"), half) == 2


def test_spending_status_by_state() -> None:
    reports = [
        report("DEU", date(2019, 12, 31), "1.36"),  # halfway: the line stands at 1.6
        report("EST", date(2019, 12, 31), "2.1", delivered=True),
        report("POL", date(2015, 6, 30), "2.2"),  # no baseline recorded: the first report is it
    ]
    assert status(SPENDING, reports, date(2020, 1, 1)) == {
        "DEU": Status.OFF_TRACK,
        "EST": Status.DELIVERED,
        "POL": Status.DUE,
    }
    deu = standing(SPENDING, "DEU", reports, date(2020, 1, 1))
    assert deu.figure == Decimal("1.36")
    assert deu.expected is not None and Decimal("1.59") < deu.expected < Decimal("1.61")
    assert status(SPENDING, reports, date(2025, 1, 1)) == {
        "DEU": Status.LATE,
        "EST": Status.DELIVERED,
        "POL": Status.LATE,
    }


def test_a_state_at_the_target_that_falls_below_it_is_off_track() -> None:
    reports = [report("EST", date(2018, 12, 31), "1.9")]
    assert standing(SPENDING, "EST", reports, date(2019, 1, 1)).status is Status.OFF_TRACK


def test_the_due_date_itself_is_in_time() -> None:
    assert status(STANDARD, [], STANDARD.due)["DEU"] is Status.DUE
    assert status(STANDARD, [], STANDARD.due + timedelta(days=1))["DEU"] is Status.LATE


def test_a_queried_report_stops_counting_from_the_query() -> None:
    query = Review(Verdict.QUERIED, at(date(2026, 7, 3)), "The ratification law is not attached.")
    claimed = report("POL", date(2026, 6, 1), delivered=True, review=query)
    assert standing(STANDARD, "POL", [claimed], date(2026, 7, 2)).status is Status.DELIVERED
    assert standing(STANDARD, "POL", [claimed], date(2026, 7, 3)).status is Status.LATE
    again = report("POL", date(2026, 7, 10), delivered=True)
    assert standing(STANDARD, "POL", [claimed, again], date(2026, 7, 10)).status is (
        Status.DELIVERED
    )


def test_an_accepted_report_keeps_counting_and_a_later_report_may_undo_delivery() -> None:
    accepted = Review(Verdict.ACCEPTED, at(date(2023, 2, 1)))
    reports = [
        report("DEU", date(2023, 1, 15), "2.1", delivered=True, review=accepted),
        report("DEU", date(2024, 1, 15), "1.85"),  # the line stands at 1.92
    ]
    assert standing(SPENDING, "DEU", reports, date(2023, 12, 31)).status is Status.DELIVERED
    assert standing(SPENDING, "DEU", reports, date(2024, 1, 15)).status is Status.OFF_TRACK


def test_reports_after_the_day_asked_about_do_not_count() -> None:
    later = report("DEU", date(2026, 6, 1), delivered=True)
    assert standing(STANDARD, "DEU", [later], date(2026, 5, 31)).status is Status.DUE


day_offsets = st.integers(min_value=-800, max_value=800)
report_rows = st.lists(
    st.tuples(
        st.sampled_from(sorted(STATES)),
        day_offsets,
        st.one_of(st.none(), st.decimals(min_value=0, max_value=4, places=2)),
        st.booleans(),
        st.one_of(st.none(), st.tuples(st.sampled_from(list(Verdict)), st.integers(0, 400))),
    ),
    max_size=8,
)


def build(
    rows: list[tuple[str, int, Decimal | None, bool, tuple[Verdict, int] | None]],
) -> list[Report]:
    out = []
    for state, offset, figure, delivered, review in rows:
        made = SPENDING.due + timedelta(days=offset)
        verdict = None
        if review is not None:
            verdict = Review(review[0], at(made + timedelta(days=review[1])), "Please explain.")
        out.append(report(state, made, None if figure is None else str(figure), delivered, verdict))
    return out


@settings(max_examples=300)
@given(report_rows, day_offsets)
def test_a_delivered_commitment_is_never_late(
    rows: list[tuple[str, int, Decimal | None, bool, tuple[Verdict, int] | None]], offset: int
) -> None:
    reports = build(rows)
    today = SPENDING.due + timedelta(days=offset)
    for state in STATES:
        s = standing(SPENDING, state, reports, today)
        counted = [r for r in reports if r.state == state and r.counts_on(today)]
        delivered = bool(counted) and sorted(counted, key=lambda r: r.at)[-1].delivered
        assert (s.status is Status.DELIVERED) is delivered
        assert not (delivered and s.status is Status.LATE)


@settings(max_examples=300)
@given(report_rows, day_offsets, day_offsets)
def test_an_undelivered_commitment_turns_late_once_the_due_date_passes_and_stays_late(
    rows: list[tuple[str, int, Decimal | None, bool, tuple[Verdict, int] | None]],
    first: int,
    second: int,
) -> None:
    rows = [(s, o, f, False, r) for s, o, f, _delivered, r in rows]  # nothing ever delivered
    reports = build(rows)
    earlier, later = sorted((first, second))
    for commitment in (SPENDING, STANDARD):
        for state in STATES:
            before = standing(commitment, state, reports, commitment.due + timedelta(days=earlier))
            after = standing(commitment, state, reports, commitment.due + timedelta(days=later))
            assert (before.status is Status.LATE) is (earlier > 0)
            assert (after.status is Status.LATE) is (later > 0)
            if before.status is Status.LATE:
                assert after.status is Status.LATE


# -- reminders ----------------------------------------------------------------------------------


def test_reminders_go_out_before_the_due_date_to_those_who_have_not_delivered() -> None:
    deadline = due_instant(STANDARD)
    assert deadline == datetime(2026, 7, 1, tzinfo=UTC)
    delivered = {STANDARD.id: [report("EST", date(2026, 5, 1), delivered=True)]}
    assert reminders_due([STANDARD], delivered, deadline - timedelta(days=31)) == ()
    month = reminders_due([STANDARD], delivered, deadline - timedelta(days=30))
    assert month == (
        Reminder(STANDARD.id, "DEU", timedelta(days=30), STANDARD.due),
        Reminder(STANDARD.id, "POL", timedelta(days=30), STANDARD.due),
    )
    week = reminders_due([STANDARD], delivered, deadline - timedelta(days=2))
    assert {r.lead for r in week} == {timedelta(days=7)}
    assert reminders_due([STANDARD], delivered, deadline) == ()


def test_reminder_lead_times_must_be_positive() -> None:
    with pytest.raises(InvalidInput, match="must be positive"):
        reminders_due([STANDARD], {}, at(date(2026, 6, 1)), lead_times=(timedelta(0),))


@settings(max_examples=200)
@given(st.integers(min_value=-60 * 24, max_value=24), report_rows)
def test_reminders_only_before_the_due_date_ends_and_never_to_the_delivered(
    hours_before_end: int,
    rows: list[tuple[str, int, Decimal | None, bool, tuple[Verdict, int] | None]],
) -> None:
    reports = build(rows)
    now = due_instant(SPENDING) + timedelta(hours=hours_before_end)
    found = reminders_due([SPENDING, STANDARD], {SPENDING.id: reports}, now)
    for r in found:
        commitment = SPENDING if r.commitment_id == SPENDING.id else STANDARD
        assert due_instant(commitment) - r.lead <= now < due_instant(commitment)
        own = reports if commitment is SPENDING else []
        assert standing(commitment, r.state, own, now.date()).status is not Status.DELIVERED
    assert len({(r.commitment_id, r.state) for r in found}) == len(found)
