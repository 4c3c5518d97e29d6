"""Filing one position, decided without storage: both write paths (the service and the batched
API path) ask this and write exactly what it answers, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from concord.domain import procedures as core
from concord.domain.alliance import Actor
from concord.domain.canonical import format_instant
from concord.domain.errors import DeadlinePassed, IllegalTransition, InvalidInput, _
from concord.domain.events import Tag, procedure_tag

GROUNDS = ("objection", "amendment")


@dataclass(frozen=True, slots=True)
class Filing:
    """What filing the position commits: the entry, the outcome after it (with its footnotes
    and statements only if it is final), and its audit event."""

    entry: core.Entry
    grounds: str
    before: core.State
    after: core.Evaluation
    tag: Tag
    payload: dict[str, Any]


def check_grounds(grounds: str) -> None:
    if grounds and grounds not in GROUNDS:
        raise InvalidInput(_("the grounds of a break are 'objection' or 'amendment'"))


def current(
    spec: core.Spec, entries: Sequence[core.Entry], at: datetime, action: core.Action, number: int
) -> tuple[core.Evaluation, frozenset[core.State]]:
    """The procedure as it stands now (without its annotations) and the states ``action`` may
    lead to; refused once a final outcome stands past the expiry."""
    now = core.evaluate(spec, entries, at, annotations=False)
    state = now.state
    if state.final and action is not core.Action.EXPIRE and at >= spec.expires_at:
        raise DeadlinePassed(
            _("procedure {number} expired at {expiry}; it is {state}"),
            number=number,
            expiry=format_instant(spec.expires_at),
            state=state.value.replace("_", " "),
        )
    return now, core.check_transition(spec.kind, state, action)


def expect(state: core.State, allowed: frozenset[core.State]) -> None:
    if state not in allowed:  # the transition table and the outcome function disagree
        raise IllegalTransition(_("the outcome {outcome} is not allowed here"), outcome=state.value)


def plan(
    spec: core.Spec,
    entries: Sequence[core.Entry],
    *,
    number: int,
    actor: Actor,
    state: str,
    kind: core.PositionKind,
    statement: str,
    paragraph: int | None,
    grounds: str,
    at: datetime,
    seq: int,
    records_for_body: bool,
    partner_states: frozenset[str],
) -> Filing:
    """Check that ``actor`` may file this position for ``state`` in procedure ``number`` at
    ``at`` and say what it commits. ``seq`` orders the new entry after every one in ``entries``
    (the stored position's id). Raises the refusal otherwise; nothing is decided half-way."""
    check_grounds(grounds)
    action = core.action_for(kind)
    before, allowed = current(spec, entries, at, action, number)
    core.check_position(
        spec,
        entries,
        actor=actor,
        state=state,
        kind=kind,
        statement=statement,
        paragraph=paragraph,
        now=at,
        records_for_body=records_for_body,
        partner_states=partner_states,
    )
    entry = core.Entry(
        seq=seq,
        state=state,
        kind=kind,
        at=at,
        ministerial=actor.ministerial,
        statement=statement.strip(),
        paragraph=paragraph,
    )
    if kind in core.ANNOTATIONS:  # a statement or footnote moves no stance: the outcome stands
        after = before
    else:
        after = core.evaluate(spec, [*entries, entry], at, annotations=False)
    if after.state.final:  # the outcome is recorded with its footnotes: read them too
        after = core.evaluate(spec, [*entries, entry], at)
    expect(after.state, allowed)
    grounds = grounds or ("objection" if kind is core.PositionKind.BREAK else "")
    payload = {
        "procedure": number,
        "state": state,
        "position": kind.value,
        "grounds": grounds,
        "statement": entry.statement,
        "paragraph": paragraph,
        "ministerial": actor.ministerial,
        "pending": state in after.pending,
        "outcome": after.state.value,
    }
    tag = procedure_tag(spec.kind, action, kind)
    return Filing(entry, grounds, before.state, after, tag, payload)
