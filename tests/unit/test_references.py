"""Document reference numbers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concord.domain.references import Reference, valid_series


def test_parse_and_format() -> None:
    ref, rev = Reference.parse("PO(2026)0042")
    assert ref == Reference("PO", 2026, 42)
    assert rev is None
    assert str(ref) == "PO(2026)0042"


def test_parse_a_revision() -> None:
    ref, rev = Reference.parse("PO(2026)0042-REV1")
    assert ref == Reference("PO", 2026, 42)
    assert rev == 1
    assert Reference.parse("C-M(2025)0113-REV12") == (Reference("C-M", 2025, 113), 12)


def test_parse_is_lenient_about_case_and_surrounding_space() -> None:
    assert Reference.parse("  po(2026)0042-rev2 \n") == (Reference("PO", 2026, 42), 2)


def test_series_with_slashes_and_hyphens() -> None:
    assert Reference.parse("AC/281-N(2024)0007") == (Reference("AC/281-N", 2024, 7), None)


def test_numbers_above_four_digits() -> None:
    ref, _ = Reference.parse("PO(2026)12345")
    assert ref.number == 12345
    assert str(ref) == "PO(2026)12345"


def test_revision() -> None:
    ref = Reference("PO", 2026, 42)
    assert ref.revision(0) == "PO(2026)0042"
    assert ref.revision(1) == "PO(2026)0042-REV1"
    assert ref.revision(10) == "PO(2026)0042-REV10"


def test_references_sort_by_series_year_number() -> None:
    refs = [Reference("PO", 2026, 2), Reference("PO", 2025, 9), Reference("C-M", 2026, 1)]
    assert sorted(refs) == [refs[2], refs[1], refs[0]]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "PO",
        "PO(2026)",
        "PO(2026)042",
        "PO(26)0042",
        "PO2026)0042",
        "PO(2026)0042-REV",
        "PO(2026)0042-REVA",
        "PO(2026)0042-1",
        "(2026)0042",
        "1PO(2026)0042",
        "P O(2026)0042",
        "ABCDEFGHIJKLMNOPQ(2026)0042",
        "PO(2026)0042 extra",
    ],
)
def test_invalid_references_raise_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="is not a reference"):
        Reference.parse(text)


def test_valid_series() -> None:
    for code in ("PO", "C-M", "AC/281", "S" * 16, "P"):
        assert valid_series(code), code
    for code in ("", "po", "1PO", "P O", "S" * 17, "PO(2026)"):
        assert not valid_series(code), code


series = st.from_regex(r"[A-Z][A-Z0-9/\-]{0,15}", fullmatch=True)


@settings(max_examples=200)
@given(
    series,
    st.integers(min_value=1000, max_value=9999),
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=99),
)
def test_format_parse_round_trip(code: str, year: int, number: int, rev: int) -> None:
    ref = Reference(code, year, number)
    assert valid_series(code)
    assert Reference.parse(str(ref)) == (ref, None)
    assert Reference.parse(ref.revision(rev)) == (ref, rev or None)
