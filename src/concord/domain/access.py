"""The access policy: who may read a document, and so the procedures and decisions about it.

One pure function decides; the services turn the same rules into a database filter, and a test
checks that both agree. A reader needs all three:

1. **clearance** at or above the level, where the level needs one (CONFIDENTIAL and above);
2. **nationality**: international staff and nationals of member states pass; a partner's national
   passes only where the document is releasable to that partner;
3. **need to know**: the secretariat and auditors serve every body; a member state's national needs
   the state to be a member of the owning body; a partner's national needs the partner to sit in
   one of the body's formats; anyone on the document's distribution list passes.

PUBLIC documents are open to every signed-in user.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from concord.domain.alliance import Role
from concord.domain.markings import Classification

SERVES_EVERY_BODY = frozenset({Role.SECRETARIAT_CHAIR, Role.SECRETARIAT_SECRETARY, Role.AUDITOR})


@dataclass(frozen=True, slots=True)
class Reader:
    username: str
    role: Role
    clearance: Classification
    state: str | None = None
    state_is_member: bool = False  # the reader's state is an ally today
    state_is_partner: bool = False  # the reader's state is a partner today
    #: The highest level reachable in this session: without a second factor it may be capped.
    max_level: Classification = Classification.COSMIC_TOP_SECRET


@dataclass(frozen=True, slots=True)
class Item:
    """What the policy needs to know about a document."""

    level: Classification
    releasable_to: frozenset[str] = frozenset()
    body: str = ""
    body_members: frozenset[str] | None = None  # None: every ally is a member
    body_partners: frozenset[str] = frozenset()  # partners sitting in the body's formats
    distribution: frozenset[str] = field(default_factory=frozenset)  # user names


def cleared(reader: Reader, level: Classification) -> bool:
    return not level.needs_clearance or reader.clearance >= level


def nationality_allows(reader: Reader, item: Item) -> bool:
    if reader.state is None or reader.state_is_member:
        return True
    return reader.state_is_partner and reader.state in item.releasable_to


def needs_to_know(reader: Reader, item: Item) -> bool:
    if reader.username in item.distribution or reader.role in SERVES_EVERY_BODY:
        return True
    if reader.state is None:
        return False
    if reader.state_is_member:
        return item.body_members is None or reader.state in item.body_members
    return reader.state_is_partner and reader.state in item.body_partners


def may_read(reader: Reader, item: Item) -> bool:
    if item.level is Classification.PUBLIC:
        return True
    if item.level > reader.max_level:
        return False
    return (
        cleared(reader, item.level)
        and nationality_allows(reader, item)
        and needs_to_know(reader, item)
    )


def may_read_portion(reader: Reader, item: Item, portion: Classification | None) -> bool:
    """A paragraph with its own (portion) marking: the reader must be able to read the document
    and the paragraph's level. A paragraph without a marking takes the document's."""
    if not may_read(reader, item):
        return False
    if portion is None or portion <= item.level:
        return True
    return may_read(reader, replace(item, level=portion))
