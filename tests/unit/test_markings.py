"""Classification levels and markings."""

from __future__ import annotations

import pytest

from concord.domain.markings import Classification, Marking


def test_levels_are_ordered_by_protection() -> None:
    assert list(Classification) == sorted(Classification)
    assert Classification.PUBLIC < Classification.RESTRICTED < Classification.COSMIC_TOP_SECRET


def test_labels() -> None:
    assert Classification.PUBLIC.label == "PUBLIC"
    assert Classification.UNCLASSIFIED.label == "NATO UNCLASSIFIED"
    assert Classification.SECRET.label == "NATO SECRET"
    assert Classification.COSMIC_TOP_SECRET.label == "COSMIC TOP SECRET"


def test_clearance_from_confidential_up() -> None:
    needing = {c for c in Classification if c.needs_clearance}
    assert needing == {
        Classification.CONFIDENTIAL,
        Classification.SECRET,
        Classification.COSMIC_TOP_SECRET,
    }


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("NATO SECRET", Classification.SECRET),
        ("secret", Classification.SECRET),
        ("  NATO Restricted ", Classification.RESTRICTED),
        ("COSMIC TOP SECRET", Classification.COSMIC_TOP_SECRET),
        ("cosmic_top_secret", Classification.COSMIC_TOP_SECRET),
        ("PUBLIC", Classification.PUBLIC),
        ("NATO UNCLASSIFIED", Classification.UNCLASSIFIED),
        ("Confidential", Classification.CONFIDENTIAL),
    ],
)
def test_parse(text: str, level: Classification) -> None:
    assert Classification.parse(text) is level


@pytest.mark.parametrize("level", list(Classification), ids=lambda c: c.name)
def test_parse_reads_back_every_label_and_name(level: Classification) -> None:
    assert Classification.parse(level.label) is level
    assert Classification.parse(level.name) is level


@pytest.mark.parametrize("text", ["", "TOP SECRET", "NATO", "3", "label", "SECRET!"])
def test_parse_refuses_unknown_levels(text: str) -> None:
    with pytest.raises(ValueError, match="unknown classification"):
        Classification.parse(text)


def test_banner_without_releasability_is_the_label() -> None:
    assert Marking.of(Classification.RESTRICTED).banner == "NATO RESTRICTED"


def test_banner_lists_releasable_states_sorted() -> None:
    marking = Marking.of(Classification.SECRET, ["USA", "AUS", "GBR"])
    assert marking.banner == "NATO SECRET Releasable to AUS, GBR, USA"
    assert marking.releasable_to == frozenset({"AUS", "GBR", "USA"})


def test_public_needs_no_releasability_line() -> None:
    assert Marking.of(Classification.PUBLIC, ["UKR"]).banner == "PUBLIC"


def test_markings_are_values() -> None:
    a = Marking.of(Classification.SECRET, ["USA", "GBR"])
    b = Marking.of(Classification.SECRET, ("GBR", "USA", "GBR"))
    assert a == b
    assert hash(a) == hash(b)
