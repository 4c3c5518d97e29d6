"""Audit event tags for procedure events."""

from __future__ import annotations

import pytest

from concord.domain.events import Tag, opened_tag, procedure_tag
from concord.domain.procedures import KIND_ACTIONS, KIND_POSITIONS, Action, Kind, PositionKind

POSITION_ACTIONS = {Action.FILE_POSITION, Action.COUNTERSIGN, Action.CONFIRM_AD_REF}
POSITION_ACTIONS |= {Action.WITHDRAW_AD_REF, Action.CALL_UP}


@pytest.mark.parametrize("kind", list(Kind), ids=lambda k: k.value)
def test_every_action_of_every_kind_has_a_tag(kind: Kind) -> None:
    assert opened_tag(kind) is Tag(f"procedure.{kind.value}.opened")
    for action in KIND_ACTIONS[kind] - POSITION_ACTIONS:
        tag = procedure_tag(kind, action)
        assert tag.value.startswith(f"procedure.{kind.value}.")


def test_position_tags() -> None:
    assert procedure_tag(Kind.SILENCE, Action.FILE_POSITION, PositionKind.BREAK) is (
        Tag.SILENCE_BROKEN
    )
    assert procedure_tag(Kind.MEETING, Action.FILE_POSITION, PositionKind.JOIN) is (
        Tag.MEETING_POSITION_RECORDED
    )
    assert procedure_tag(Kind.WRITTEN, Action.FILE_POSITION, PositionKind.APPROVE) is (
        Tag.WRITTEN_REPLIED
    )
    assert procedure_tag(Kind.DELEGATED, Action.CALL_UP, PositionKind.CALL_UP) is (
        Tag.DELEGATED_CALLED_UP
    )
    for kind in (Kind.SILENCE, Kind.MEETING, Kind.WRITTEN):
        assert PositionKind.COUNTERSIGNED in KIND_POSITIONS[kind]
        assert procedure_tag(kind, Action.COUNTERSIGN, PositionKind.COUNTERSIGNED) is (
            Tag.OBJECTION_COUNTERSIGNED
        )
    assert procedure_tag(Kind.MEETING, Action.CONFIRM_AD_REF, PositionKind.AD_REF_CONFIRMED) is (
        Tag.AD_REFERENDUM_CONFIRMED
    )
    assert procedure_tag(Kind.MEETING, Action.WITHDRAW_AD_REF, PositionKind.AD_REF_WITHDRAWN) is (
        Tag.AD_REFERENDUM_WITHDRAWN
    )


def test_other_tags() -> None:
    assert procedure_tag(Kind.MEETING, Action.CONCLUDE) is Tag.MEETING_CONCLUDED
    assert procedure_tag(Kind.SILENCE, Action.EXTEND) is Tag.SILENCE_EXTENDED
    assert procedure_tag(Kind.DELEGATED, Action.EXPIRE) is Tag.DELEGATED_EXPIRED
    assert procedure_tag(Kind.WRITTEN, Action.WITHDRAW) is Tag.WRITTEN_WITHDRAWN


def test_tags_are_dotted_lower_case_names() -> None:
    for tag in Tag:
        parts = tag.value.split(".")
        assert 2 <= len(parts) <= 3, tag
        assert all(p and p == p.lower() for p in parts), tag
        if parts[0] == "procedure":
            assert len(parts) == 3, tag
