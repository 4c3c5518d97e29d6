"""Commitments: what a decision asks of each member, what members report, and who delivered.

A decision can create a :class:`Commitment` binding each of the states it binds (those that stood
aside are not bound). Three kinds are known:

* **spending** — defence spending of at least ``target`` per cent of GDP by a year (the 2014
  pledge to move towards 2 % within a decade; the 2023 pledge of at least 2 % every year). The
  due date is the last day of that year (:func:`end_of_year`); figures are percentages of GDP;
* **standard** — ratify and implement a common standard by a date;
* **capability** — contribute a capability (a unit, a system, a service) by a date.

Members :class:`Report` progress: a figure where one applies, the evidence, and whether they
consider the commitment delivered. The secretariat reviews a report: *accepted* or *queried*
(with a note saying what is missing). Concord trusts a report from the day it is made until the
secretariat queries it; a queried report counts for nothing, so the state reports again.

**Status** of a state under a commitment on a day (:func:`standing`), considering only reports
made and reviews given on or before that day (UTC days):

* ``delivered`` — the latest report that counts says the commitment is delivered (a later report
  saying otherwise undoes it: a spending pledge can be delivered one year and missed the next);
* ``late`` — not delivered, and the due date has passed (the due date itself is still in time);
* ``off_track`` — spending only, not yet due: the latest reported share is below the straight
  line drawn from the state's baseline to the target on the due date, evaluated at the day of
  that report. The baseline is the share recorded with the commitment for that state on its
  ``baseline_on`` date or, lacking one, the state's first reported share. A state already at or
  above the target at its baseline must simply stay there. Standards and capabilities have no
  interim trajectory;
* ``due`` — otherwise: not yet due and nothing says it is off track.

**Reminders** (:func:`reminders_due`) go to every bound state that has not delivered, before the
due date ends (midnight UTC at the end of that day), at given lead times (30 and 7 days by
default). When several lead times have passed only the nearest is returned, so a worker that was
stopped for a while sends one reminder, not a burst; the service records which (commitment,
state, lead) it has sent so that each goes exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from concord.domain.alliance import SECRETARIAT, SPEAKS_FOR_STATE, Actor
from concord.domain.errors import InvalidInput, NotAllowed, _
from concord.domain.negotiation.model import check_id, check_state_code

HUNDRED = Decimal(100)
#: Default lead times of reminders before a due date ends.
REMINDER_LEADS = (timedelta(days=30), timedelta(days=7))


class CommitmentKind(StrEnum):
    SPENDING = "spending"
    STANDARD = "standard"
    CAPABILITY = "capability"


class Status(StrEnum):
    DUE = "due"
    DELIVERED = "delivered"
    LATE = "late"
    OFF_TRACK = "off_track"


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    QUERIED = "queried"


def end_of_year(year: int) -> date:
    """The due date of a pledge "by ``year``": its last day."""
    return date(year, 12, 31)


def _check_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(_("the {what} must carry a time zone"), what=what)


def _check_share(value: Decimal, what: str) -> None:
    if not value.is_finite() or not Decimal(0) <= value <= HUNDRED:
        raise InvalidInput(_("the {what} must be a percentage between 0 and 100"), what=what)


@dataclass(frozen=True, slots=True)
class Commitment:
    """What a decision asks of each state in ``states`` by ``due``.

    ``target`` is the share of GDP in per cent for spending (``Decimal("2.0")``) and, for the
    other kinds, an optional quantity shown with the commitment. ``baselines`` gives each
    state's share on ``baseline_on``, the start of its spending trajectory.
    """

    id: str
    kind: CommitmentKind
    title: str
    states: frozenset[str]
    due: date
    target: Decimal | None = None
    baseline_on: date | None = None
    baselines: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_id(self.id, "commitment")
        object.__setattr__(self, "kind", CommitmentKind(self.kind))
        if not self.title.strip():
            raise InvalidInput(_("a commitment has a title"))
        object.__setattr__(self, "states", frozenset(self.states))
        if not self.states:
            raise InvalidInput(_("a commitment binds at least one state"))
        for state in self.states:
            check_state_code(state)
        if self.kind is CommitmentKind.SPENDING:
            if self.target is None:
                raise InvalidInput(_("a spending commitment has a target share of GDP"))
            _check_share(self.target, "target")
            if self.target == 0:
                raise InvalidInput(_("a spending target must be above zero"))
        elif self.target is not None and (not self.target.is_finite() or self.target < 0):
            raise InvalidInput(_("the target of a commitment may not be negative"))
        if self.baselines:
            if self.kind is not CommitmentKind.SPENDING or self.baseline_on is None:
                raise InvalidInput(_("baselines belong to a spending commitment with a date"))
            for state, share in self.baselines.items():
                if state not in self.states:
                    raise InvalidInput(
                        _("{state} has a baseline but is not bound by the commitment"),
                        state=state,
                    )
                _check_share(share, "baseline")
        if self.baseline_on is not None and self.baseline_on >= self.due:
            raise InvalidInput(_("the baseline date must come before the due date"))


@dataclass(frozen=True, slots=True)
class Review:
    """The secretariat's verdict on a report; a query says what is missing."""

    verdict: Verdict
    at: datetime
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", Verdict(self.verdict))
        _check_aware(self.at, "review time")
        if self.verdict is Verdict.QUERIED and not self.note.strip():
            raise InvalidInput(_("a query says what is missing or unclear"))


@dataclass(frozen=True, slots=True)
class Report:
    """A state's report on a commitment at ``at``, with its review once there is one."""

    state: str
    at: datetime
    figure: Decimal | None
    evidence: str
    delivered: bool
    review: Review | None = None

    def __post_init__(self) -> None:
        check_state_code(self.state)
        _check_aware(self.at, "report time")

    def counts_on(self, day: date) -> bool:
        """Made on or before ``day`` and not queried on or before it."""
        if _day(self.at) > day:
            return False
        r = self.review
        return r is None or r.verdict is not Verdict.QUERIED or _day(r.at) > day


def _day(instant: datetime) -> date:
    return instant.astimezone(UTC).date()


def check_report(commitment: Commitment, report: Report, *, actor: Actor) -> None:
    """Refuse a report that the rules do not allow; silence means it may be recorded."""
    if actor.role not in SPEAKS_FOR_STATE or actor.state != report.state:
        raise NotAllowed(
            _("{user} may not speak for {state}"), user=actor.username, state=report.state
        )
    if report.state not in commitment.states:
        raise NotAllowed(_("{state} is not bound by this commitment"), state=report.state)
    if not report.evidence.strip():
        raise InvalidInput(_("a report gives its evidence"))
    if report.review is not None:
        raise InvalidInput(_("a new report has no review yet"))
    if commitment.kind is CommitmentKind.SPENDING:
        if report.figure is None:
            raise InvalidInput(_("a spending report gives the share of GDP"))
        _check_share(report.figure, "share of GDP")
        assert commitment.target is not None  # checked when the commitment was made
        if report.delivered and report.figure < commitment.target:
            raise InvalidInput(
                _("a share of {figure} % does not deliver a target of {target} %"),
                figure=str(report.figure),
                target=str(commitment.target),
            )
    elif report.figure is not None and (not report.figure.is_finite() or report.figure < 0):
        raise InvalidInput(_("a reported figure may not be negative"))


def check_review(report: Report, review: Review, *, actor: Actor) -> None:
    """Only the secretariat reviews, and not before the report was made."""
    if actor.role not in SECRETARIAT:
        raise NotAllowed(_("only the secretariat reviews reports"))
    if review.at < report.at:
        raise InvalidInput(_("a review cannot come before the report it reviews"))


# -- status -------------------------------------------------------------------------------------


def trajectory(start: date, baseline: Decimal, due: date, target: Decimal, on: date) -> Decimal:
    """The share expected on ``on`` on the straight line from ``baseline`` at ``start`` to
    ``target`` on ``due``; the target itself when the baseline already meets it."""
    if baseline >= target or on >= due or start >= due:
        return target
    if on <= start:
        return baseline
    elapsed = Decimal((on - start).days) / Decimal((due - start).days)
    return baseline + (target - baseline) * elapsed


@dataclass(frozen=True, slots=True)
class Standing:
    """One state under one commitment on a day: its status and what it rests on."""

    state: str
    status: Status
    latest: Report | None  # the latest report that counts
    figure: Decimal | None = None  # the latest reported figure that counts
    expected: Decimal | None = None  # spending: the trajectory on the day of that figure


def standing(
    commitment: Commitment, state: str, reports: Iterable[Report], today: date
) -> Standing:
    """Where ``state`` stands under ``commitment`` on ``today`` (see the module's rules).

    ``reports`` may hold other states' reports, which are ignored; they come in the order they
    were recorded, which decides between two reports made at the same instant."""
    counted = sorted(
        (r for r in reports if r.state == state and r.counts_on(today)), key=lambda r: r.at
    )
    latest = counted[-1] if counted else None
    with_figure = [r for r in counted if r.figure is not None]
    figure = with_figure[-1].figure if with_figure else None
    expected: Decimal | None = None
    if commitment.kind is CommitmentKind.SPENDING and with_figure:
        assert commitment.target is not None  # checked when the commitment was made
        base = commitment.baselines.get(state)
        if base is not None and commitment.baseline_on is not None:
            start = commitment.baseline_on
        else:
            start, base = _day(with_figure[0].at), with_figure[0].figure
        assert base is not None
        expected = trajectory(
            start, base, commitment.due, commitment.target, _day(with_figure[-1].at)
        )

    if latest is not None and latest.delivered:
        status = Status.DELIVERED
    elif today > commitment.due:
        status = Status.LATE
    elif figure is not None and expected is not None and figure < expected:
        status = Status.OFF_TRACK
    else:
        status = Status.DUE
    return Standing(state, status, latest, figure, expected)


def status(commitment: Commitment, reports: Iterable[Report], today: date) -> dict[str, Status]:
    """Bound state → its status under ``commitment`` on ``today``, by state code."""
    reports = tuple(reports)
    return {s: standing(commitment, s, reports, today).status for s in sorted(commitment.states)}


# -- reminders ----------------------------------------------------------------------------------


def due_instant(commitment: Commitment) -> datetime:
    """When the due date ends: midnight UTC at the end of that day."""
    return datetime.combine(commitment.due + timedelta(days=1), time(0), tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Reminder:
    commitment_id: str
    state: str
    lead: timedelta  # the lead time this reminder answers (e.g. 7 days before the due date)
    due: date


def reminders_due(
    commitments: Iterable[Commitment],
    reports: Mapping[str, Iterable[Report]],
    now: datetime,
    lead_times: Sequence[timedelta] = REMINDER_LEADS,
) -> tuple[Reminder, ...]:
    """The reminders to send at ``now``: for each commitment and bound state not delivered
    (``reports`` of every commitment, keyed by commitment id), the nearest lead time already
    reached before the due date ends, if any. Sorted by due date, commitment and state."""
    _check_aware(now, "time")
    if not lead_times or any(lead <= timedelta(0) for lead in lead_times):
        raise InvalidInput(_("reminder lead times must be positive"))
    today = _day(now)
    out: list[Reminder] = []
    for c in sorted(commitments, key=lambda c: (c.due, c.id)):
        deadline = due_instant(c)
        if now >= deadline:
            continue
        reached = [lead for lead in lead_times if deadline - lead <= now]
        if not reached:
            continue
        own = tuple(reports.get(c.id, ()))
        for state in sorted(c.states):
            if standing(c, state, own, today).status is not Status.DELIVERED:
                out.append(Reminder(c.id, state, min(reached), c.due))
    return tuple(out)
