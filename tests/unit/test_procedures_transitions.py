"""The transition table, walked in full: every (kind, state, action) triple."""

from __future__ import annotations

import itertools

import pytest

from concord.domain.errors import DeadlinePassed, DomainError, IllegalTransition
from concord.domain.events import procedure_tag
from concord.domain.procedures import (
    KIND_ACTIONS,
    KIND_POSITIONS,
    TRANSITIONS,
    Action,
    Kind,
    PositionKind,
    State,
    action_for,
    check_transition,
)

TRIPLES = list(itertools.product(Kind, State, Action))
FINAL = [s for s in State if s.final]


def test_the_walk_covers_every_triple() -> None:
    assert len(TRIPLES) == len(Kind) * len(State) * len(Action) == 4 * 6 * 9


@pytest.mark.parametrize(("kind", "state", "action"), TRIPLES, ids=lambda v: v.value)
def test_check_transition(kind: Kind, state: State, action: Action) -> None:
    allowed = action in KIND_ACTIONS[kind] and action in TRANSITIONS[state]
    if allowed:
        result = check_transition(kind, state, action)
        assert result == TRANSITIONS[state][action]
        assert result  # an allowed action always leads somewhere
    else:
        with pytest.raises(IllegalTransition) as caught:
            check_transition(kind, state, action)
        assert not isinstance(caught.value, DeadlinePassed)
        assert caught.value.code == "conflict"
        assert str(caught.value)


def test_the_table_names_every_state_and_only_states() -> None:
    assert set(TRANSITIONS) == set(State)
    for moves in TRANSITIONS.values():
        for action, targets in moves.items():
            assert isinstance(action, Action)
            assert all(isinstance(t, State) for t in targets)


def test_final_states() -> None:
    assert set(FINAL) == {State.ADOPTED, State.NOT_ADOPTED, State.CALLED_UP, State.WITHDRAWN}
    assert not State.OPEN.final
    assert not State.AWAITING_CONFIRMATION.final


@pytest.mark.parametrize("state", FINAL, ids=lambda s: s.value)
def test_final_states_allow_nothing(state: State) -> None:
    assert TRANSITIONS[state] == {}
    for kind, action in itertools.product(Kind, Action):
        with pytest.raises(IllegalTransition) as caught:
            check_transition(kind, state, action)
        if action in KIND_ACTIONS[kind]:
            assert f"the procedure is {state.value.replace('_', ' ')}" in str(caught.value)


def test_running_states_allow_something_for_every_kind() -> None:
    for kind in Kind:
        assert KIND_ACTIONS[kind] & set(TRANSITIONS[State.OPEN])


def test_an_action_unknown_to_the_kind_is_refused_whatever_the_state() -> None:
    with pytest.raises(IllegalTransition, match="silence procedure"):
        check_transition(Kind.SILENCE, State.OPEN, Action.CONCLUDE)
    with pytest.raises(IllegalTransition, match="delegated authority"):
        check_transition(Kind.DELEGATED, State.OPEN, Action.FILE_POSITION)
    with pytest.raises(IllegalTransition, match="consensus at a meeting"):
        check_transition(Kind.MEETING, State.OPEN, Action.CALL_UP)


def test_key_transitions() -> None:
    assert check_transition(Kind.DELEGATED, State.OPEN, Action.CALL_UP) == {State.CALLED_UP}
    assert check_transition(Kind.MEETING, State.OPEN, Action.CONCLUDE) == {
        State.ADOPTED,
        State.NOT_ADOPTED,
        State.AWAITING_CONFIRMATION,
    }
    assert check_transition(Kind.MEETING, State.AWAITING_CONFIRMATION, Action.CONFIRM_AD_REF) == {
        State.AWAITING_CONFIRMATION,
        State.ADOPTED,
        State.NOT_ADOPTED,
    }
    for kind in Kind:
        assert check_transition(kind, State.OPEN, Action.WITHDRAW) == {State.WITHDRAWN}
        assert check_transition(kind, State.OPEN, Action.EXPIRE) == {
            State.ADOPTED,
            State.NOT_ADOPTED,
        }
        assert check_transition(kind, State.OPEN, Action.EXTEND) == {State.OPEN}
    with pytest.raises(IllegalTransition, match="awaiting confirmation"):
        check_transition(Kind.MEETING, State.AWAITING_CONFIRMATION, Action.FILE_POSITION)
    with pytest.raises(IllegalTransition):
        check_transition(Kind.MEETING, State.AWAITING_CONFIRMATION, Action.CONCLUDE)


def test_expiry_always_settles_the_outcome() -> None:
    for state, moves in TRANSITIONS.items():
        if Action.EXPIRE in moves:
            assert all(t.final for t in moves[Action.EXPIRE]), state


@pytest.mark.parametrize("kind", list(Kind), ids=lambda k: k.value)
def test_every_position_a_kind_takes_maps_to_an_action_it_knows(kind: Kind) -> None:
    for position in KIND_POSITIONS[kind]:
        assert action_for(position) in KIND_ACTIONS[kind], position
        # and there is an audit tag for recording it
        assert procedure_tag(kind, action_for(position), position)


def test_action_for() -> None:
    assert action_for(PositionKind.BREAK) is Action.FILE_POSITION
    assert action_for(PositionKind.JOIN) is Action.FILE_POSITION
    assert action_for(PositionKind.COUNTERSIGNED) is Action.COUNTERSIGN
    assert action_for(PositionKind.AD_REF_CONFIRMED) is Action.CONFIRM_AD_REF
    assert action_for(PositionKind.AD_REF_WITHDRAWN) is Action.WITHDRAW_AD_REF
    assert action_for(PositionKind.CALL_UP) is Action.CALL_UP


def test_error_hierarchy() -> None:
    assert issubclass(DeadlinePassed, IllegalTransition)
    assert issubclass(IllegalTransition, DomainError)
    assert DeadlinePassed.code == "deadline_passed"
