"""The audit hash chain.

Each event's hash covers its own fields and the previous event's hash, so altering or deleting any
event breaks every hash after it. The first event links to ``GENESIS``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from concord.domain.canonical import canonical_json, format_instant, sha256_hex

GENESIS = "0" * 64
SYSTEM_WORKER = "system:worker"
SYSTEM_DEMO = "system:demo"


@dataclass(frozen=True, slots=True)
class ChainLink:
    seq: int
    at: datetime
    actor: str
    tag: str
    subject: str
    payload: str  # canonical JSON text
    prev_hash: str
    hash: str


def link_hash(
    *, seq: int, at: datetime, actor: str, tag: str, subject: str, payload: str, prev_hash: str
) -> str:
    body = canonical_json(
        {
            "seq": seq,
            "at": format_instant(at),
            "actor": actor,
            "tag": tag,
            "subject": subject,
            "payload": payload,
            "prev": prev_hash,
        }
    )
    return sha256_hex(body)


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def verify_chain(
    links: Iterable[ChainLink], head_seq: int = 0, head_hash: str = GENESIS
) -> Verification:
    """Recompute the chain; ``head_seq``/``head_hash`` are the recorded head, so that deleting the
    newest events is caught too."""
    expected_seq = 1
    prev = GENESIS
    checked = 0
    for link in links:
        if link.seq != expected_seq:
            return Verification(False, checked, expected_seq, f"event {expected_seq} is missing")
        if link.prev_hash != prev:
            return Verification(False, checked, link.seq, "previous hash does not match")
        recomputed = link_hash(
            seq=link.seq,
            at=link.at,
            actor=link.actor,
            tag=link.tag,
            subject=link.subject,
            payload=link.payload,
            prev_hash=link.prev_hash,
        )
        if recomputed != link.hash:
            return Verification(False, checked, link.seq, "content does not match its hash")
        prev = link.hash
        expected_seq += 1
        checked += 1
    if head_seq >= expected_seq:
        return Verification(False, checked, expected_seq, f"event {expected_seq} is missing")
    if head_seq == checked and head_hash != prev:
        return Verification(False, checked, max(checked, 1), "head hash does not match")
    return Verification(True, checked)
