"""The audit hash chain: any alteration or deletion is caught and named."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concord.domain.audit import GENESIS, ChainLink, link_hash, verify_chain
from concord.domain.canonical import canonical_json

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FIELDS = ("seq", "at", "actor", "tag", "subject", "payload", "prev_hash", "hash")


def build_chain(n: int) -> list[ChainLink]:
    links: list[ChainLink] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        fields: dict[str, Any] = {
            "seq": seq,
            "at": T0 + timedelta(minutes=seq),
            "actor": f"user{seq % 3}",
            "tag": "procedure.silence.broken",
            "subject": f"PO(2026){seq:04d}",
            "payload": canonical_json({"state": "FRA", "n": seq}),
            "prev_hash": prev,
        }
        digest = link_hash(**fields)
        links.append(ChainLink(**fields, hash=digest))
        prev = digest
    return links


def altered(link: ChainLink, name: str) -> ChainLink:
    value = getattr(link, name)
    if name == "seq":
        new: Any = value + 100
    elif name == "at":
        new = value + timedelta(microseconds=1)
    elif name in ("prev_hash", "hash"):
        new = ("f" if value[0] != "f" else "e") + value[1:]
    else:
        new = value + "x"
    return dataclasses.replace(link, **{name: new})


def test_an_intact_chain_verifies() -> None:
    links = build_chain(5)
    result = verify_chain(links)
    assert result.ok
    assert result.checked == 5
    assert result.first_bad_seq is None
    assert verify_chain(links, head_seq=5, head_hash=links[-1].hash).ok


def test_the_empty_chain_verifies() -> None:
    assert verify_chain([]).ok
    assert verify_chain([]).checked == 0


def test_the_first_link_follows_genesis() -> None:
    assert build_chain(1)[0].prev_hash == GENESIS == "0" * 64


def test_link_hash_is_a_sha256_hex_digest_and_deterministic() -> None:
    a, b = build_chain(2), build_chain(2)
    assert a == b
    assert len(a[0].hash) == 64
    assert int(a[0].hash, 16) >= 0
    assert a[0].hash != a[1].hash


def test_link_hash_covers_the_instant_not_its_time_zone() -> None:
    link = build_chain(1)[0]
    cet = link.at.astimezone(timezone(timedelta(hours=1)))
    assert dataclasses.replace(link, at=cet).at == link.at
    assert verify_chain([dataclasses.replace(link, at=cet)]).ok


def test_link_hash_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="naive"):
        link_hash(
            seq=1, at=datetime(2026, 1, 1),  # noqa: DTZ001
            actor="a", tag="t", subject="s", payload="{}", prev_hash=GENESIS,
        )  # fmt: skip


@settings(max_examples=200)
@given(st.integers(min_value=1, max_value=8), st.data())
def test_altering_any_field_of_any_link_is_named(n: int, data: st.DataObject) -> None:
    links = build_chain(n)
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    name = data.draw(st.sampled_from(FIELDS))
    links[index] = altered(links[index], name)
    result = verify_chain(links)
    assert not result.ok
    assert result.first_bad_seq == index + 1
    assert result.checked == index
    assert result.reason


@pytest.mark.parametrize("name", FIELDS)
def test_altering_each_field_of_the_last_link(name: str) -> None:
    links = build_chain(4)
    original_head = links[-1].hash
    links[-1] = altered(links[-1], name)
    for result in (verify_chain(links), verify_chain(links, 4, original_head)):
        assert not result.ok
        assert result.first_bad_seq == 4


def test_a_link_rehashed_after_alteration_still_breaks_the_next_one() -> None:
    links = build_chain(4)
    forged = dataclasses.replace(links[1], actor="mallory")
    forged = dataclasses.replace(
        forged,
        hash=link_hash(
            seq=forged.seq, at=forged.at, actor=forged.actor, tag=forged.tag,
            subject=forged.subject, payload=forged.payload, prev_hash=forged.prev_hash,
        ),
    )  # fmt: skip
    links[1] = forged
    result = verify_chain(links)
    assert not result.ok
    assert result.first_bad_seq == 3
    assert result.reason == "previous hash does not match"


@settings(max_examples=100)
@given(st.integers(min_value=3, max_value=8), st.data())
def test_deleting_a_middle_link_names_the_missing_seq(n: int, data: st.DataObject) -> None:
    links = build_chain(n)
    index = data.draw(st.integers(min_value=1, max_value=n - 2))
    del links[index]
    result = verify_chain(links, head_seq=n)
    assert not result.ok
    assert result.first_bad_seq == index + 1
    assert result.reason == f"event {index + 1} is missing"


def test_deleting_the_first_link_names_seq_one() -> None:
    result = verify_chain(build_chain(3)[1:])
    assert not result.ok
    assert result.first_bad_seq == 1


@pytest.mark.parametrize("n", [1, 2, 5])
def test_deleting_the_last_link_is_caught_against_the_recorded_head(n: int) -> None:
    links = build_chain(n)
    head_seq, head_hash = n, links[-1].hash
    truncated = links[:-1]
    assert verify_chain(truncated).ok  # without the head nothing shows
    result = verify_chain(truncated, head_seq=head_seq, head_hash=head_hash)
    assert not result.ok
    assert result.first_bad_seq == n
    assert result.reason == f"event {n} is missing"


def test_deleting_several_newest_links_names_the_first_missing() -> None:
    links = build_chain(6)
    result = verify_chain(links[:3], head_seq=6, head_hash=links[-1].hash)
    assert not result.ok
    assert result.first_bad_seq == 4


def test_a_wrong_head_hash_is_caught() -> None:
    links = build_chain(3)
    result = verify_chain(links, head_seq=3, head_hash=links[1].hash)
    assert not result.ok
    assert result.first_bad_seq == 3
    assert result.reason == "head hash does not match"


def test_swapping_two_links_is_caught() -> None:
    links = build_chain(4)
    links[1], links[2] = links[2], links[1]
    result = verify_chain(links)
    assert not result.ok
    assert result.first_bad_seq == 2
