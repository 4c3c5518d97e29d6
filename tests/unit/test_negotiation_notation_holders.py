"""The notation with holders: ``[stronger wording (DEU, FRA) / weaker wording (TUR)]``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from negotiation_strategies import STATES, WORDS, french, texts

from concord.domain.errors import InvalidInput
from concord.domain.negotiation import (
    Alternative,
    Bracket,
    Language,
    Paragraph,
    Segment,
    Text,
    hold,
    parse_paragraph,
    parse_text,
    render_paragraph,
    render_text,
)
from concord.domain.negotiation.notation import (
    bracket_parts,
    holders_suffix,
    render_bracket,
    split_holders,
)


def one(source: str) -> tuple[Segment, ...]:
    counter = iter(range(1, 100))
    return parse_paragraph(source, number=1, next_id=lambda: f"b{next(counter)}", holders=True)


def test_holders_follow_each_alternative() -> None:
    (before, bracket, after) = one("We [strongly condemn (FRA, DEU) / regret (TUR)] it.")
    assert (before, after) == ("We ", " it.")
    assert isinstance(bracket, Bracket)
    assert bracket.alternatives == (
        Alternative("strongly condemn", frozenset({"DEU", "FRA"})),
        Alternative("regret", frozenset({"TUR"})),
    )


def test_spaces_inside_the_group_are_free_and_rendering_is_canonical() -> None:
    text = parse_text(["a [b (FRA,DEU ) / c ( TUR)]"], holders=True)
    assert render_text(text, holders=True) == ("a [b (DEU, FRA) / c (TUR)]",)
    assert render_text(text) == ("a [b / c]",)


def test_deletion_held_by_states_is_an_empty_wording_with_holders() -> None:
    (bracket,) = one("[firmly (FRA) / (TUR)]")
    assert isinstance(bracket, Bracket)
    assert bracket.alternatives[1] == Alternative("", frozenset({"TUR"}))
    assert render_bracket(bracket, holders=True) == "[firmly (FRA) / (TUR)]"
    assert render_bracket(bracket) == "[firmly]"


def test_a_single_wording_with_holders_stands_against_a_deletion_held_by_nobody() -> None:
    (bracket,) = one("[firmly (FRA)]")
    assert isinstance(bracket, Bracket)
    assert bracket.alternatives == (Alternative("firmly", frozenset({"FRA"})), Alternative(""))
    assert render_bracket(bracket, holders=True) == "[firmly (FRA)]"


def test_without_holders_the_group_is_wording() -> None:
    (bracket,) = parse_paragraph("[a (FRA) / b]", number=1, next_id=lambda: "b1")
    assert isinstance(bracket, Bracket)
    assert bracket.wordings() == ("a (FRA)", "b")
    assert not bracket.holders


@pytest.mark.parametrize(
    ("written", "wording", "holders"),
    [
        ("the United States (USA) ()", "the United States (USA)", set()),
        ("the United States (USA) (FRA)", "the United States (USA)", {"FRA"}),
        ("a (NATO)", "a (NATO)", set()),
        ("a(FRA)", "a(FRA)", set()),
        ("(a) b", "(a) b", set()),
        ("()", "", set()),
        ("  x  (FRA , GBR)  ", "x", {"FRA", "GBR"}),
        ("a (fra)", "a (fra)", set()),
    ],
)
def test_only_a_trailing_group_after_a_space_is_holders(
    written: str, wording: str, holders: set[str]
) -> None:
    assert split_holders(written) == (wording, frozenset(holders))


def test_a_wording_that_reads_as_holders_is_rendered_with_an_empty_group() -> None:
    assert holders_suffix(Alternative("the United States (USA)")) == " ()"
    assert holders_suffix(Alternative("call f ()")) == " ()"
    assert holders_suffix(Alternative("call f()")) == ""
    assert holders_suffix(Alternative("plain")) == ""
    assert holders_suffix(Alternative("", frozenset({"TUR"}))) == "(TUR)"
    bracket = Bracket("b1", (Alternative("the United States (USA)"), Alternative("others")))
    assert bracket_parts(bracket, holders=True) == (
        ("the United States (USA)", " ()"),
        ("others", ""),
    )
    text = Text((Paragraph("p1", ("See ", bracket, ".")),))
    rendered = render_text(text, holders=True)
    assert rendered == ("See [the United States (USA) () / others].",)
    again = parse_text(rendered, holders=True)
    assert again.paragraphs[0].en == text.paragraphs[0].en


def test_a_state_may_not_hold_two_alternatives() -> None:
    with pytest.raises(InvalidInput, match=r"paragraph 1 \(English\): FRA holds two"):
        parse_text(["[a (FRA) / b (FRA, DEU)]"], holders=True)


def test_french_copies_take_the_english_holders_or_must_repeat_them() -> None:
    en = ["We [condemn (FRA) / regret (TUR)]."]
    text = parse_text(en, ["Nous [condamnons / regrettons]."], holders=True)
    assert render_text(text, Language.FR, holders=True) == (
        "Nous [condamnons (FRA) / regrettons (TUR)].",
    )
    same = parse_text(en, ["Nous [condamnons (FRA) / regrettons (TUR)]."], holders=True)
    assert same == text
    with pytest.raises(InvalidInput, match="French holders differ"):
        parse_text(en, ["Nous [condamnons (DEU) / regrettons (TUR)]."], holders=True)


def test_render_paragraph_with_holders() -> None:
    text = hold(parse_text(["a [b / c]"]), "b1", 1, "CAN")
    assert render_paragraph(text.paragraphs[0], holders=True) == "a [b / c (CAN)]"
    assert render_paragraph(text.paragraphs[0]) == "a [b / c]"


# -- properties ---------------------------------------------------------------------------------


@settings(deadline=None)
@given(texts())
def test_texts_round_trip_through_the_notation_with_holders(text: Text) -> None:
    en = render_text(text, holders=True)
    fr = render_text(text, Language.FR, holders=True)
    assert parse_text(en, fr, holders=True) == text
    assert parse_text(en, [french(s) for s in render_text(text)], holders=True) == text


TRICKY = [
    "the United States (USA)",
    "call f()",
    "(FRA)",
    "()",
    "a (DEU, FRA)",
    "a(FRA)",
    "(x) y",
    "z (NATO)",
    "a () (GBR)",
]
wordings = st.one_of(
    st.sampled_from(TRICKY),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join),
    st.text(st.characters(exclude_characters="[]/"), min_size=1, max_size=12).map(str.strip),
)


@st.composite
def tricky_brackets(draw: st.DrawFn, bracket_id: str) -> Bracket:
    chosen = draw(st.lists(wordings, min_size=1, max_size=3, unique=True))
    if "" not in chosen and (len(chosen) == 1 or draw(st.booleans())):
        chosen.append("")
    if len(chosen) < 2:
        chosen.append("other")
    states = draw(st.permutations(STATES))
    cuts = sorted(draw(st.lists(st.integers(0, len(states)), min_size=len(chosen) - 1)))
    bounds = [0, *cuts, len(states)]
    alternatives = tuple(
        Alternative(w, frozenset(states[bounds[i] : bounds[i + 1]])) for i, w in enumerate(chosen)
    )
    return Bracket(bracket_id, alternatives)


@st.composite
def tricky_texts(draw: st.DrawFn) -> Text:
    paragraphs = []
    counter = 0
    for number in range(1, draw(st.integers(1, 3)) + 1):
        segments: list[Segment] = []
        for _ in range(draw(st.integers(1, 3))):
            counter += 1
            segments += [draw(st.sampled_from(WORDS)) + " ", draw(tricky_brackets(f"b{counter}"))]
        segments.append(draw(st.sampled_from(["", ".", " (FRA)."])))
        paragraphs.append(Paragraph(f"p{number}", tuple(segments)))
    return Text(tuple(paragraphs))


@settings(deadline=None)
@given(tricky_texts())
def test_wordings_that_look_like_holders_round_trip(text: Text) -> None:
    assert parse_text(render_text(text, holders=True), holders=True) == text


@given(wordings, st.frozensets(st.sampled_from(STATES)))
def test_an_alternative_round_trips_alone(wording: str, holders: frozenset[str]) -> None:
    alternative = Alternative(wording, holders)
    assert split_holders(wording + holders_suffix(alternative)) == (wording, holders)
