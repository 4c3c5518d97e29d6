"""Decision procedures: kinds, the transition table, positions and the outcome function.

The outcome of a procedure is a pure function of its specification, the positions committed and
the instant asked about (:func:`evaluate`). Nothing is read from a clock; services pass ``now``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from operator import attrgetter

from concord.domain.alliance import SPEAKS_FOR_STATE, Actor, Role
from concord.domain.canonical import format_instant
from concord.domain.errors import DeadlinePassed, IllegalTransition, InvalidInput, NotAllowed, _
from concord.domain.rules import DecisionRule, Stance


class Kind(StrEnum):
    SILENCE = "silence"
    MEETING = "meeting"
    WRITTEN = "written"
    DELEGATED = "delegated"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    Kind.SILENCE: "silence procedure",
    Kind.MEETING: "consensus at a meeting",
    Kind.WRITTEN: "written procedure",
    Kind.DELEGATED: "delegated authority",
}


class State(StrEnum):
    OPEN = "open"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    ADOPTED = "adopted"
    NOT_ADOPTED = "not_adopted"
    CALLED_UP = "called_up"
    WITHDRAWN = "withdrawn"

    @property
    def final(self) -> bool:
        return self not in (State.OPEN, State.AWAITING_CONFIRMATION)


class Action(StrEnum):
    FILE_POSITION = "file_position"
    COUNTERSIGN = "countersign"
    CONFIRM_AD_REF = "confirm_ad_ref"
    WITHDRAW_AD_REF = "withdraw_ad_ref"
    CALL_UP = "call_up"
    EXTEND = "extend"
    WITHDRAW = "withdraw"
    CONCLUDE = "conclude"
    EXPIRE = "expire"


_RUNNING_ACTIONS = {
    Action.FILE_POSITION: frozenset({State.OPEN}),
    Action.COUNTERSIGN: frozenset({State.OPEN}),
    Action.CONFIRM_AD_REF: frozenset({State.OPEN}),
    Action.WITHDRAW_AD_REF: frozenset({State.OPEN}),
    Action.CALL_UP: frozenset({State.CALLED_UP}),
    Action.EXTEND: frozenset({State.OPEN}),
    Action.WITHDRAW: frozenset({State.WITHDRAWN}),
    Action.CONCLUDE: frozenset({State.ADOPTED, State.NOT_ADOPTED, State.AWAITING_CONFIRMATION}),
    Action.EXPIRE: frozenset({State.ADOPTED, State.NOT_ADOPTED}),
}
_SETTLING = frozenset({State.AWAITING_CONFIRMATION, State.ADOPTED, State.NOT_ADOPTED})

#: The transition table: for each state, the actions allowed and the states they may lead to.
#: Final states allow nothing.
TRANSITIONS: Mapping[State, Mapping[Action, frozenset[State]]] = {
    State.OPEN: _RUNNING_ACTIONS,
    State.AWAITING_CONFIRMATION: {
        Action.COUNTERSIGN: _SETTLING,
        Action.CONFIRM_AD_REF: _SETTLING,
        Action.WITHDRAW_AD_REF: _SETTLING,
        Action.EXTEND: frozenset({State.AWAITING_CONFIRMATION}),
        Action.WITHDRAW: frozenset({State.WITHDRAWN}),
        Action.EXPIRE: frozenset({State.ADOPTED, State.NOT_ADOPTED}),
    },
    State.ADOPTED: {},
    State.NOT_ADOPTED: {},
    State.CALLED_UP: {},
    State.WITHDRAWN: {},
}

#: Which actions each kind of procedure knows at all.
KIND_ACTIONS: Mapping[Kind, frozenset[Action]] = {
    Kind.SILENCE: frozenset(
        {Action.FILE_POSITION, Action.COUNTERSIGN, Action.EXTEND, Action.WITHDRAW, Action.EXPIRE}
    ),
    Kind.MEETING: frozenset(set(Action) - {Action.CALL_UP}),
    Kind.WRITTEN: frozenset(
        {Action.FILE_POSITION, Action.COUNTERSIGN, Action.EXTEND, Action.WITHDRAW, Action.EXPIRE}
    ),
    Kind.DELEGATED: frozenset({Action.CALL_UP, Action.EXTEND, Action.WITHDRAW, Action.EXPIRE}),
}


def check_transition(kind: Kind, state: State, action: Action) -> frozenset[State]:
    """The states ``action`` may lead to from ``state``; raises :class:`IllegalTransition`."""
    if action not in KIND_ACTIONS[kind]:
        raise IllegalTransition(
            _("a {kind} does not allow the action {action!r}"), kind=kind.label, action=action.value
        )
    allowed = TRANSITIONS[state].get(action)
    if allowed is None:
        raise IllegalTransition(
            _("the procedure is {state}: {action!r} is not possible"),
            state=state.value.replace("_", " "),
            action=action.value,
        )
    return allowed


class PositionKind(StrEnum):
    # silence
    BREAK = "break"
    # meeting
    JOIN = "join"
    OBJECT = "object"
    AD_REFERENDUM = "ad_referendum"
    STAND_ASIDE = "stand_aside"
    FOOTNOTE = "footnote"
    FOOTNOTE_WITHDRAWN = "footnote_withdrawn"
    STATEMENT = "statement"
    # written
    APPROVE = "approve"
    ABSTAIN = "abstain"
    SCRUTINY_RESERVATION = "scrutiny_reservation"
    # delegated authority
    CALL_UP = "call_up"
    # capital officials
    COUNTERSIGNED = "countersigned"
    AD_REF_CONFIRMED = "ad_ref_confirmed"
    AD_REF_WITHDRAWN = "ad_ref_withdrawn"


OBJECTIONS = frozenset({PositionKind.BREAK, PositionKind.OBJECT})
ANNOTATIONS = frozenset(
    {PositionKind.FOOTNOTE, PositionKind.FOOTNOTE_WITHDRAWN, PositionKind.STATEMENT}
)
CAPITAL_ONLY = frozenset(
    {PositionKind.COUNTERSIGNED, PositionKind.AD_REF_CONFIRMED, PositionKind.AD_REF_WITHDRAWN}
)
NEEDS_STATEMENT = frozenset(
    {
        PositionKind.BREAK,
        PositionKind.OBJECT,
        PositionKind.FOOTNOTE,
        PositionKind.STATEMENT,
        PositionKind.CALL_UP,
    }
)

#: The positions each kind of procedure accepts.
KIND_POSITIONS: Mapping[Kind, frozenset[PositionKind]] = {
    Kind.SILENCE: frozenset({PositionKind.BREAK, PositionKind.COUNTERSIGNED}),
    Kind.MEETING: frozenset(
        {
            PositionKind.JOIN,
            PositionKind.OBJECT,
            PositionKind.AD_REFERENDUM,
            PositionKind.STAND_ASIDE,
            PositionKind.FOOTNOTE,
            PositionKind.FOOTNOTE_WITHDRAWN,
            PositionKind.STATEMENT,
            PositionKind.COUNTERSIGNED,
            PositionKind.AD_REF_CONFIRMED,
            PositionKind.AD_REF_WITHDRAWN,
        }
    ),
    Kind.WRITTEN: frozenset(
        {
            PositionKind.APPROVE,
            PositionKind.ABSTAIN,
            PositionKind.OBJECT,
            PositionKind.SCRUTINY_RESERVATION,
            PositionKind.COUNTERSIGNED,
        }
    ),
    Kind.DELEGATED: frozenset({PositionKind.CALL_UP}),
}


def action_for(kind: PositionKind) -> Action:
    return {
        PositionKind.COUNTERSIGNED: Action.COUNTERSIGN,
        PositionKind.AD_REF_CONFIRMED: Action.CONFIRM_AD_REF,
        PositionKind.AD_REF_WITHDRAWN: Action.WITHDRAW_AD_REF,
        PositionKind.CALL_UP: Action.CALL_UP,
    }.get(kind, Action.FILE_POSITION)


@dataclass(frozen=True, slots=True)
class Settings:
    """The per-body options that shape a procedure, fixed when it opens."""

    minimum_silence: timedelta = timedelta(0)
    ministerial_objections: bool = False
    coalitions_within: bool = False


@dataclass(frozen=True, slots=True)
class Spec:
    """Everything about a procedure that the outcome depends on, except its positions."""

    kind: Kind
    rule: DecisionRule
    participants: tuple[str, ...]
    opened_at: datetime
    expires_at: datetime
    settings: Settings = field(default_factory=Settings)
    populations: Mapping[str, Decimal] = field(default_factory=dict)
    concluded_at: datetime | None = None
    withdrawn_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """One committed position: append-only; for each participant the latest stance counts."""

    seq: int
    state: str
    kind: PositionKind
    at: datetime
    ministerial: bool = False  # filed by a capital official with ministerial authority
    statement: str = ""
    paragraph: int | None = None


@dataclass(frozen=True, slots=True)
class Participant:
    state: str
    stance: Stance
    latest: PositionKind | None  # the latest stance-bearing position, if any
    pending_objection: bool = False  # an objection awaiting ministerial countersignature


@dataclass(frozen=True, slots=True)
class Evaluation:
    state: State
    decided_at: datetime | None
    participants: Mapping[str, Participant]
    footnotes: tuple[Entry, ...] = ()
    statements: tuple[Entry, ...] = ()

    @property
    def stances(self) -> dict[str, Stance]:
        return {s: p.stance for s, p in self.participants.items()}

    @property
    def objecting(self) -> tuple[str, ...]:
        return tuple(s for s, p in self.participants.items() if p.stance is Stance.OBJECT)

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(s for s, p in self.participants.items() if p.pending_objection)

    @property
    def bound(self) -> tuple[str, ...]:
        return tuple(s for s, p in self.participants.items() if p.stance is not Stance.STAND_ASIDE)

    @property
    def called_up_by(self) -> tuple[str, ...]:
        return tuple(s for s, p in self.participants.items() if p.latest is PositionKind.CALL_UP)


# -- the outcome function -------------------------------------------------------------------


_SEQ = attrgetter("seq")


def _stance_of(
    kind: Kind, spec: Spec, entries: Sequence[Entry], *, resolve: bool
) -> tuple[Stance, PositionKind | None, bool]:
    """One participant's stance from its own entries (in commit order). ``resolve`` settles
    what is still conditional, as at expiry: an unconfirmed ad ref lapses (objection), an
    objection never countersigned does not count."""
    latest: Entry | None = None
    countersigned = False
    confirmation: PositionKind | None = None
    for e in entries:
        if e.kind in ANNOTATIONS:
            continue
        if e.kind is PositionKind.COUNTERSIGNED:
            countersigned = True
        elif e.kind in (PositionKind.AD_REF_CONFIRMED, PositionKind.AD_REF_WITHDRAWN):
            confirmation = e.kind
        else:
            latest, countersigned, confirmation = e, False, None
    default = Stance.OUTSTANDING if kind is Kind.WRITTEN else Stance.CONSENT
    if latest is None:
        return default, None, False
    k = latest.kind
    if k in OBJECTIONS:
        effective = not spec.settings.ministerial_objections or latest.ministerial or countersigned
        if effective:
            return Stance.OBJECT, k, False
        if resolve:
            return default if kind is Kind.WRITTEN else Stance.CONSENT, k, False
        return (Stance.OUTSTANDING if kind is not Kind.SILENCE else Stance.CONSENT), k, True
    if k is PositionKind.AD_REFERENDUM:
        if confirmation is PositionKind.AD_REF_CONFIRMED:
            return Stance.CONSENT, k, False
        if confirmation is PositionKind.AD_REF_WITHDRAWN or resolve:
            return Stance.OBJECT, k, False
        return Stance.OUTSTANDING, k, False
    stance = {
        PositionKind.JOIN: Stance.CONSENT,
        PositionKind.APPROVE: Stance.CONSENT,
        PositionKind.ABSTAIN: Stance.ABSTAIN,
        PositionKind.STAND_ASIDE: Stance.STAND_ASIDE,
        PositionKind.SCRUTINY_RESERVATION: Stance.OUTSTANDING,
        PositionKind.CALL_UP: Stance.OBJECT,
    }[k]
    return stance, k, False


def _participants(
    spec: Spec, entries: Iterable[Entry], *, stance_cut: datetime, cut: datetime, resolve: bool
) -> dict[str, Participant]:
    """Stance-bearing entries count before ``stance_cut``; capital confirmations and
    countersignatures before ``cut``."""
    by_state: dict[str, list[Entry]] = {s: [] for s in spec.participants}
    bearing = [e for e in entries if e.kind not in ANNOTATIONS]  # _stance_of skips the rest
    for e in sorted(bearing, key=_SEQ):
        limit = cut if e.kind in CAPITAL_ONLY else stance_cut
        if e.at < limit and e.state in by_state:
            by_state[e.state].append(e)
    out: dict[str, Participant] = {}
    default = Stance.OUTSTANDING if spec.kind is Kind.WRITTEN else Stance.CONSENT
    for state, own in by_state.items():
        if not own:  # no position yet: the default stance (what _stance_of says of no entries)
            out[state] = _silent(state, default)
            continue
        stance, latest, pending = _stance_of(spec.kind, spec, own, resolve=resolve)
        out[state] = Participant(state, stance, latest, pending)
    return out


@lru_cache(maxsize=1024)
def _silent(state: str, stance: Stance) -> Participant:
    """A participant that has filed nothing (immutable, so shared between evaluations)."""
    return Participant(state, stance, None, False)


def _annotations(
    spec: Spec, entries: Iterable[Entry], cut: datetime
) -> tuple[tuple[Entry, ...], tuple[Entry, ...]]:
    footnotes: dict[tuple[str, int | None], Entry] = {}
    statements: list[Entry] = []
    for e in sorted(entries, key=_SEQ):
        if e.at >= cut or e.state not in spec.participants:
            continue
        if e.kind is PositionKind.FOOTNOTE:
            footnotes[(e.state, e.paragraph)] = e
        elif e.kind is PositionKind.FOOTNOTE_WITHDRAWN:
            footnotes.pop((e.state, e.paragraph), None)
        elif e.kind is PositionKind.STATEMENT:
            statements.append(e)
    return tuple(footnotes.values()), tuple(statements)


def _decide(spec: Spec, parts: Mapping[str, Participant]) -> State | None:
    """ADOPTED or NOT_ADOPTED if the outcome no longer depends on anything outstanding."""
    stances = {s: p.stance for s, p in parts.items()}
    hopeful = {s: (Stance.CONSENT if v is Stance.OUTSTANDING else v) for s, v in stances.items()}
    gloomy = {s: (Stance.OBJECT if v is Stance.OUTSTANDING else v) for s, v in stances.items()}
    best = spec.rule.adopts(hopeful, spec.populations)
    worst = spec.rule.adopts(gloomy, spec.populations)
    if best and worst:
        return State.ADOPTED
    if not best:
        return State.NOT_ADOPTED
    return None


def evaluate(
    spec: Spec, entries: Sequence[Entry], now: datetime, *, annotations: bool = True
) -> Evaluation:
    """The procedure as it stands at ``now``: its state, when it was decided, and each
    deciding participant's stance. Only positions committed before the expiry instant count.
    Without ``annotations`` the footnotes and statements are left empty (they never change the
    outcome), for callers that need only the outcome."""
    entries = tuple(entries)
    expiry = spec.expires_at
    if spec.withdrawn_at is not None and spec.withdrawn_at <= now:
        cut = min(spec.withdrawn_at, expiry)
        parts = _participants(spec, entries, stance_cut=cut, cut=cut, resolve=False)
        return Evaluation(State.WITHDRAWN, spec.withdrawn_at, parts)

    expired = now >= expiry
    cut = expiry if expired else now + timedelta.resolution
    footnotes, statements = _annotations(spec, entries, cut) if annotations else ((), ())

    if spec.kind is Kind.MEETING:
        return _evaluate_meeting(spec, entries, now, footnotes, statements)

    parts = _participants(spec, entries, stance_cut=cut, cut=cut, resolve=expired)

    def result(state: State, at: datetime | None) -> Evaluation:
        return Evaluation(state, at, parts, footnotes, statements)

    if spec.kind is Kind.DELEGATED:
        calls = [
            e
            for e in entries
            if e.kind is PositionKind.CALL_UP and e.at < cut and e.state in spec.participants
        ]
        if calls:
            return result(State.CALLED_UP, min(e.at for e in calls))
        return result(State.ADOPTED, expiry) if expired else result(State.OPEN, None)

    if not expired:
        return result(State.OPEN, None)
    adopted = spec.rule.adopts({s: p.stance for s, p in parts.items()}, spec.populations)
    return result(State.ADOPTED if adopted else State.NOT_ADOPTED, expiry)


def _evaluate_meeting(
    spec: Spec,
    entries: tuple[Entry, ...],
    now: datetime,
    footnotes: tuple[Entry, ...],
    statements: tuple[Entry, ...],
) -> Evaluation:
    expiry = spec.expires_at
    concluded = spec.concluded_at
    if concluded is None or concluded >= expiry:
        cut = min(now + timedelta.resolution, expiry)
        parts = _participants(spec, entries, stance_cut=cut, cut=cut, resolve=False)
        if now >= expiry:  # never concluded in time: lapses
            return Evaluation(State.NOT_ADOPTED, expiry, parts, footnotes, statements)
        return Evaluation(State.OPEN, None, parts, footnotes, statements)
    if now < concluded:
        cut = now + timedelta.resolution
        parts = _participants(spec, entries, stance_cut=cut, cut=cut, resolve=False)
        return Evaluation(State.OPEN, None, parts, footnotes, statements)

    # Concluded: stances are those recorded before the conclusion; capital confirmations and
    # countersignatures keep counting until expiry. Replay the instants at which the outcome
    # could have settled, in order, to find when it did.
    moments = sorted(
        {concluded}
        | {e.at for e in entries if e.kind in CAPITAL_ONLY and concluded <= e.at < expiry}
    )
    for moment in moments:
        if moment > now:
            break
        parts = _participants(
            spec, entries, stance_cut=concluded, cut=moment + timedelta.resolution, resolve=False
        )
        settled = _decide(spec, parts)
        if settled is not None:
            return Evaluation(settled, moment, parts, footnotes, statements)
    if now >= expiry:
        parts = _participants(spec, entries, stance_cut=concluded, cut=expiry, resolve=True)
        settled = _decide(spec, parts) or State.NOT_ADOPTED
        return Evaluation(settled, expiry, parts, footnotes, statements)
    parts = _participants(
        spec, entries, stance_cut=concluded, cut=now + timedelta.resolution, resolve=False
    )
    return Evaluation(State.AWAITING_CONFIRMATION, None, parts, footnotes, statements)


# -- who may do what --------------------------------------------------------------------------


def check_open(spec: Spec, now: datetime) -> None:
    if spec.expires_at <= now:
        raise InvalidInput(
            _("the expiry {expiry} is not in the future"), expiry=format_instant(spec.expires_at)
        )
    if spec.kind is Kind.SILENCE and spec.expires_at - now < spec.settings.minimum_silence:
        raise InvalidInput(
            _("the silence period is shorter than this body's minimum of {minimum}"),
            minimum=_duration(spec.settings.minimum_silence),
        )
    if not spec.participants:
        raise InvalidInput(_("nobody would decide: no state is a deciding participant"))


def check_extend(spec: Spec, new_expiry: datetime, now: datetime) -> None:
    if now >= spec.expires_at:
        raise DeadlinePassed(
            _("the procedure expired at {expiry}; it can no longer be extended"),
            expiry=format_instant(spec.expires_at),
        )
    if new_expiry <= spec.expires_at:
        raise InvalidInput(
            _("an extension must move the expiry later than {expiry}"),
            expiry=format_instant(spec.expires_at),
        )


def check_chair(actor: Actor, is_chair: bool, body: str) -> None:
    if not is_chair:
        raise NotAllowed(
            _("{user} does not chair {body}: only its chair may do this"),
            user=actor.username,
            body=body,
        )


def check_position(
    spec: Spec,
    entries: Sequence[Entry],
    *,
    actor: Actor,
    state: str,
    kind: PositionKind,
    statement: str,
    paragraph: int | None,
    now: datetime,
    records_for_body: bool = False,
    partner_states: frozenset[str] = frozenset(),
) -> None:
    """Refuse a position that the rules do not allow; silence means it may be committed."""
    if kind not in KIND_POSITIONS[spec.kind]:
        raise InvalidInput(
            _("a {kind} does not take the position {position!r}"),
            kind=spec.kind.label,
            position=kind.value,
        )
    if state not in spec.participants:
        if state in partner_states:
            raise NotAllowed(
                _("{state} is a partner and does not take part in this allies-only decision"),
                state=state,
            )
        raise NotAllowed(_("{state} is not a deciding participant of this procedure"), state=state)
    if now >= spec.expires_at:
        raise DeadlinePassed(
            _("the procedure expired at {expiry}; a {position} at or after expiry is refused"),
            expiry=format_instant(spec.expires_at),
            position=kind.value.replace("_", " "),
        )
    if kind in NEEDS_STATEMENT and not statement.strip():
        raise InvalidInput(
            _("a {position} needs a written statement"), position=kind.value.replace("_", " ")
        )
    if kind in (PositionKind.FOOTNOTE, PositionKind.FOOTNOTE_WITHDRAWN) and (
        paragraph is None or paragraph < 1
    ):
        raise InvalidInput(_("a footnote names the paragraph it is on"))

    if kind in CAPITAL_ONLY:
        if actor.role is not Role.CAPITAL_OFFICIAL or actor.state != state:
            raise NotAllowed(_("only a capital official of {state} may do this"), state=state)
    elif not (records_for_body and spec.kind is Kind.MEETING) and (
        actor.role not in SPEAKS_FOR_STATE or actor.state != state
    ):
        raise NotAllowed(_("{user} may not speak for {state}"), user=actor.username, state=state)

    own = [e for e in entries if e.state == state and e.at < spec.expires_at]
    stance, latest, pending = _stance_of(spec.kind, spec, own, resolve=False)
    if kind is PositionKind.COUNTERSIGNED:
        if not actor.ministerial:
            raise NotAllowed(_("countersigning an objection needs ministerial authority"))
        if not pending:
            raise InvalidInput(_("{state} has no objection awaiting countersignature"), state=state)
    if kind in (PositionKind.AD_REF_CONFIRMED, PositionKind.AD_REF_WITHDRAWN) and not (
        latest is PositionKind.AD_REFERENDUM and stance is Stance.OUTSTANDING
    ):
        raise InvalidInput(
            _("{state} has no ad referendum agreement awaiting confirmation"), state=state
        )
    if kind is PositionKind.BREAK and stance is Stance.OBJECT:
        raise InvalidInput(_("{state} has already broken silence"), state=state)
    if kind is PositionKind.CALL_UP and latest is PositionKind.CALL_UP:
        raise InvalidInput(_("{state} has already called this decision up"), state=state)
    if kind is PositionKind.STAND_ASIDE:
        if not spec.settings.coalitions_within:
            raise NotAllowed(_("this body does not allow standing aside"))
        standing = {
            s
            for s, p in _participants(
                spec, entries, stance_cut=now + timedelta.resolution, cut=now, resolve=False
            ).items()
            if p.stance is Stance.STAND_ASIDE
        }
        if len(standing | {state}) >= len(spec.participants):
            raise InvalidInput(_("at least one participant must remain bound by the decision"))
    if spec.kind is Kind.MEETING and spec.concluded_at is not None and kind not in CAPITAL_ONLY:
        raise IllegalTransition(_("the chair has concluded this item: positions are closed"))


def _duration(value: timedelta) -> str:
    hours, rest = divmod(int(value.total_seconds()), 3600)
    minutes = rest // 60
    return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
