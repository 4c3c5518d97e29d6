"""The alliance: roles, dated memberships and who decides."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Role(StrEnum):
    SECRETARIAT_CHAIR = "secretariat_chair"
    SECRETARIAT_SECRETARY = "secretariat_secretary"
    DELEGATION_HEAD = "delegation_head"
    DELEGATION_DEPUTY = "delegation_deputy"
    DELEGATION_ADVISER = "delegation_adviser"
    CAPITAL_OFFICIAL = "capital_official"
    PARTNER_DELEGATE = "partner_delegate"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"


#: Roles that may speak for their state's delegation (file positions, break silence).
SPEAKS_FOR_STATE = frozenset(
    {Role.DELEGATION_HEAD, Role.DELEGATION_DEPUTY, Role.CAPITAL_OFFICIAL, Role.PARTNER_DELEGATE}
)
SECRETARIAT = frozenset({Role.SECRETARIAT_CHAIR, Role.SECRETARIAT_SECRETARY})


class MembershipKind(StrEnum):
    MEMBER = "member"
    PARTNER = "partner"


class BodyKind(StrEnum):
    COUNCIL = "council"
    COMMITTEE = "committee"
    WORKING_GROUP = "working_group"


@dataclass(frozen=True, slots=True)
class Membership:
    state: str
    kind: MembershipKind
    since: date
    until: date | None = None

    def valid_on(self, day: date) -> bool:
        """Valid from ``since`` inclusive to ``until`` exclusive."""
        return self.since <= day and (self.until is None or day < self.until)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: enough to decide authority without touching storage."""

    username: str
    role: Role
    state: str | None = None
    ministerial: bool = False

    @property
    def is_system(self) -> bool:
        return self.username.startswith("system:")


def deciding_states(
    memberships: Iterable[Membership],
    on: date,
    *,
    body_states: frozenset[str] | None = None,
    format_partners: frozenset[str] = frozenset(),
) -> tuple[str, ...]:
    """The states that decide a procedure opened on ``on``, sorted.

    Allies whose membership is valid that day (limited to the body's own members when the body
    lists them), plus the format's partners with a valid partnership. Without a format no partner
    ever decides.
    """
    chosen: set[str] = set()
    for m in memberships:
        if not m.valid_on(on):
            continue
        if m.kind is MembershipKind.MEMBER and (body_states is None or m.state in body_states):
            chosen.add(m.state)
        elif m.kind is MembershipKind.PARTNER and m.state in format_partners:
            chosen.add(m.state)
    return tuple(sorted(chosen))
