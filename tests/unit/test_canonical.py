"""Canonical JSON: one text for one value."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concord.domain.canonical import canonical_json, format_instant, sha256_hex
from concord.domain.procedures import Kind


def test_keys_sorted_and_no_whitespace() -> None:
    assert canonical_json({"b": 1, "a": [1, 2], "c": {"z": None, "y": True}}) == (
        '{"a":[1,2],"b":1,"c":{"y":true,"z":null}}'
    )


def test_text_is_utf8_not_escaped() -> None:
    assert canonical_json({"name": "Zürich, Kraków, København"}) == (
        '{"name":"Zürich, Kraków, København"}'
    )


def test_floats_are_refused() -> None:
    for value in (1.5, {"a": 0.1}, [1, 2.0], {"x": {"y": (float("nan"),)}}):
        with pytest.raises(TypeError, match="floats are not canonical"):
            canonical_json(value)


def test_decimals_are_strings() -> None:
    assert canonical_json({"share": Decimal("0.65")}) == '{"share":"0.65"}'


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 3, 2, 9, 0)  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        canonical_json({"at": naive})
    with pytest.raises(ValueError, match="naive"):
        format_instant(naive)


def test_instants_are_utc_with_microseconds() -> None:
    at = datetime(2026, 3, 2, 10, 0, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert format_instant(at) == "2026-03-02T09:00:00.000005Z"
    assert canonical_json(at) == '"2026-03-02T09:00:00.000005Z"'
    assert format_instant(datetime(2026, 3, 2, tzinfo=UTC)) == "2026-03-02T00:00:00.000000Z"


def test_dates_enums_tuples_and_sets() -> None:
    class Colour(Enum):
        RED = "red"

    assert canonical_json(date(2023, 4, 4)) == '"2023-04-04"'
    assert canonical_json(Kind.SILENCE) == '"silence"'
    assert canonical_json(Colour.RED) == '"red"'
    assert canonical_json(("a", 1)) == '["a",1]'
    assert canonical_json({"SWE", "FIN", "DEU"}) == '["DEU","FIN","SWE"]'
    assert canonical_json(frozenset({3, 1, 2})) == "[1,2,3]"


def test_unknown_types_are_refused() -> None:
    with pytest.raises(TypeError, match="cannot put object"):
        canonical_json(object())


def test_sha256_hex() -> None:
    assert sha256_hex("") == hashlib.sha256(b"").hexdigest()
    assert sha256_hex("é") == hashlib.sha256("é".encode()).hexdigest()


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200)
@given(json_like)
def test_canonical_json_is_json_and_stable(value: object) -> None:
    text = canonical_json(value)
    assert json.loads(text) == value
    assert canonical_json(json.loads(text)) == text


@settings(max_examples=200)
@given(st.dictionaries(st.text(), st.integers(), max_size=6), st.randoms(use_true_random=False))
def test_key_order_does_not_matter(mapping: dict[str, int], rnd: random.Random) -> None:
    items = list(mapping.items())
    rnd.shuffle(items)
    assert canonical_json(dict(items)) == canonical_json(mapping)
