"""Filing a position without storage (concord.domain.filing): what both write paths commit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.test_procedures_evaluate import (
    ALLIES,
    EXPIRY,
    T0,
    around_expiry,
    make_spec,
    procedures,
)

from concord.domain import procedures as core
from concord.domain.alliance import Actor, Role
from concord.domain.errors import DomainError, InvalidInput
from concord.domain.events import procedure_tag
from concord.domain.filing import plan

ROLES = [Role.DELEGATION_HEAD, Role.CAPITAL_OFFICIAL, Role.SECRETARIAT_CHAIR]
PARTNERS = frozenset({"AUS"})


def reference(spec, entries, *, actor, state, kind, statement, paragraph, at, chair):
    """What filing meant before the planner: the current state, the transition table, the
    position's own checks, then the outcome with the new entry (annotations and all)."""
    before = core.evaluate(spec, entries, at).state
    if before.final and at >= spec.expires_at:
        raise core.DeadlinePassed("expired")
    allowed = core.check_transition(spec.kind, before, core.action_for(kind))
    core.check_position(
        spec,
        entries,
        actor=actor,
        state=state,
        kind=kind,
        statement=statement,
        paragraph=paragraph,
        now=at,
        records_for_body=chair,
        partner_states=PARTNERS,
    )
    entry = core.Entry(len(entries) + 1, state, kind, at, actor.ministerial, statement, paragraph)
    after = core.evaluate(spec, [*entries, entry], at)
    if after.state not in allowed:
        raise core.IllegalTransition("disagree")
    return before, after


@settings(max_examples=400, deadline=None)
@given(
    procedures(),
    st.data(),
    st.sampled_from((*ALLIES, "AUS")),  # Australia: a partner, never a deciding participant
    st.sampled_from(ROLES),
    st.booleans(),
    st.sampled_from(["", "  We cannot join.  "]),
    st.sampled_from([None, 1]),
)
def test_a_plan_commits_exactly_what_the_rules_say(
    procedure, data, state, role, ministerial, statement, paragraph
) -> None:
    spec, entries = procedure
    # Mostly positions the procedure takes, before its expiry; sometimes anything at all.
    kind = data.draw(
        st.sampled_from(sorted(core.KIND_POSITIONS[spec.kind]))
        | st.sampled_from(list(core.PositionKind))
    )
    at = data.draw(
        st.datetimes(min_value=T0.replace(tzinfo=None), max_value=EXPIRY.replace(tzinfo=None)).map(
            lambda d: d.replace(tzinfo=T0.tzinfo)
        )
        | around_expiry
    )
    actor = Actor("someone", role, state, ministerial)
    chair = role is Role.SECRETARIAT_CHAIR
    asked = dict(
        number=7,
        actor=actor,
        state=state,
        kind=kind,
        statement=statement,
        paragraph=paragraph,
        grounds="",
        at=at,
        seq=len(entries) + 1,
        records_for_body=chair,
        partner_states=PARTNERS,
    )
    try:
        expected = reference(
            spec,
            entries,
            actor=actor,
            state=state,
            kind=kind,
            statement=statement,
            paragraph=paragraph,
            at=at,
            chair=chair,
        )
    except DomainError as refused:
        with pytest.raises(type(refused)):
            plan(spec, entries, **asked)
        return
    filed = plan(spec, entries, **asked)
    before, after = expected
    assert filed.before is before
    # The outcome after it: the same state, date and stances; annotations are read only when the
    # outcome is final (they go into the decision sheet).
    assert (filed.after.state, filed.after.decided_at) == (after.state, after.decided_at)
    assert filed.after.participants == after.participants
    if after.state.final:
        assert filed.after == after
    assert filed.entry.statement == statement.strip() and filed.entry.seq == len(entries) + 1
    assert filed.tag is procedure_tag(spec.kind, core.action_for(kind), kind)
    assert filed.grounds == ("objection" if kind is core.PositionKind.BREAK else "")
    assert filed.payload == {
        "procedure": 7,
        "state": state,
        "position": kind.value,
        "grounds": filed.grounds,
        "statement": statement.strip(),
        "paragraph": paragraph,
        "ministerial": ministerial,
        "pending": state in after.pending,
        "outcome": after.state.value,
    }


@settings(max_examples=200)
@given(procedures(), around_expiry)
def test_without_annotations_only_footnotes_and_statements_are_left_out(
    procedure, now: datetime
) -> None:
    spec, entries = procedure
    full = core.evaluate(spec, entries, now)
    lean = core.evaluate(spec, entries, now, annotations=False)
    assert (lean.state, lean.decided_at, lean.participants) == (
        full.state,
        full.decided_at,
        full.participants,
    )
    assert lean.footnotes == () and lean.statements == ()


def test_grounds_other_than_objection_or_amendment_are_refused() -> None:
    spec = make_spec()
    with pytest.raises(InvalidInput):
        plan(
            spec,
            [],
            number=1,
            actor=Actor("fra-head", Role.DELEGATION_HEAD, "FRA"),
            state="FRA",
            kind=core.PositionKind.BREAK,
            statement="No.",
            paragraph=None,
            grounds="because",
            at=T0 + timedelta(hours=1),
            seq=1,
            records_for_body=False,
            partner_states=frozenset(),
        )
