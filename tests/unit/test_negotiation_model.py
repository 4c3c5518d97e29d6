"""The negotiated text: paragraphs, brackets and holders, alignment, and the plain notation."""

from __future__ import annotations

import re
from dataclasses import FrozenInstanceError

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from negotiation_strategies import french, paragraph_sources, sources, texts

from concord.domain.errors import DomainError, InvalidInput, NotFound
from concord.domain.negotiation import (
    Alternative,
    Bracket,
    BracketKind,
    Language,
    Paragraph,
    Text,
    align,
    hold,
    misaligned,
    parse_paragraph,
    parse_text,
    release,
    render,
    render_paragraph,
    render_text,
)


def alternatives(*wordings: str) -> tuple[Alternative, ...]:
    return tuple(Alternative(w) for w in wordings)


# -- values -------------------------------------------------------------------------------------


def test_a_bracket_needs_two_distinct_alternatives() -> None:
    with pytest.raises(InvalidInput, match="two alternatives"):
        Bracket("b1", alternatives("shall"))
    with pytest.raises(InvalidInput, match="same wording twice"):
        Bracket("b1", alternatives("shall", "shall"))
    against_deletion = Bracket("b1", alternatives("firmly", ""))
    assert against_deletion.alternatives[1].deletion
    assert against_deletion.kind is BracketKind.ALTERNATIVE


def test_a_state_holds_one_alternative_of_a_bracket() -> None:
    with pytest.raises(InvalidInput, match="FRA holds two alternatives of bracket b1"):
        Bracket("b1", (Alternative("a", frozenset({"FRA"})), Alternative("b", frozenset({"FRA"}))))


@pytest.mark.parametrize("wording", [" a", "a ", "a [b]", "a/b", "x]"])
def test_wordings_refuse_reserved_characters_and_outer_spaces(wording: str) -> None:
    with pytest.raises(InvalidInput):
        Alternative(wording)


@pytest.mark.parametrize("code", ["fra", "FR", "FRAN", "F1A", ""])
def test_holders_are_alpha_3_codes(code: str) -> None:
    with pytest.raises(InvalidInput, match="alpha-3"):
        Alternative("a", frozenset({code}))


@pytest.mark.parametrize("bad", ["", " p1", "p 1", "p/1", "-p"])
def test_ids_are_checked(bad: str) -> None:
    with pytest.raises(InvalidInput, match="id"):
        Paragraph(bad, ("text",))
    with pytest.raises(InvalidInput, match="id"):
        Bracket(bad, alternatives("a", "b"))


def test_values_are_frozen() -> None:
    p = Paragraph("p1", ("text",))
    with pytest.raises(FrozenInstanceError):
        p.id = "p2"  # type: ignore[misc]


def test_segments_are_normalised() -> None:
    b = Bracket("b1", alternatives("a", "b"))
    p = Paragraph("p1", ("", "The ", "Council ", b, "", " acts", ""))
    assert p.en == ("The Council ", b, " acts")
    assert p == Paragraph("p1", ("The Council ", b, " acts"))


def test_plain_text_refuses_square_brackets() -> None:
    with pytest.raises(InvalidInput, match="reserved for brackets"):
        Paragraph("p1", ("see [1]",))
    with pytest.raises(InvalidInput, match="reserved"):
        Paragraph("p1", ("fine",), ("pas ] bien",))


def test_a_paragraph_has_wording_in_some_language() -> None:
    with pytest.raises(InvalidInput, match="no wording"):
        Paragraph("p1", ("",))
    assert Paragraph("p1", (), ("Seulement en français",)).fr == ("Seulement en français",)


def test_the_two_copies_of_a_bracket_agree_on_all_but_wording() -> None:
    en = Bracket("b1", (Alternative("shall", frozenset({"FRA"})), Alternative("should")))
    fr = Bracket("b1", (Alternative("doit", frozenset({"FRA"})), Alternative("devrait")))
    Paragraph("p1", ("It ", en), ("Il ", fr))
    with pytest.raises(InvalidInput, match="differ in kind, note or holders"):
        Paragraph("p1", ("It ", en), ("Il ", Bracket("b1", alternatives("doit", "devrait"))))
    with pytest.raises(InvalidInput, match="differ"):
        Paragraph("p1", ("It ", en), ("Il ", fr.__class__(fr.id, fr.alternatives, note="x")))
    with pytest.raises(InvalidInput, match="appears twice"):
        Paragraph("p1", (en, " and ", en))


def test_ids_are_unique_in_a_text() -> None:
    with pytest.raises(InvalidInput, match="used twice"):
        Text((Paragraph("p1", ("a",)), Paragraph("p1", ("b",))))
    b = Bracket("b1", alternatives("x", "y"))
    with pytest.raises(InvalidInput, match="bracket b1 is in paragraphs p1 and p2"):
        Text((Paragraph("p1", (b,)), Paragraph("p2", (b,))))
    with pytest.raises(InvalidInput):
        Text((), revision=-1)


def test_numbers_follow_the_order_and_ids_stay() -> None:
    text = parse_text(["One.", "Two.", "Three."])
    assert text.numbers() == {"p1": 1, "p2": 2, "p3": 3}
    assert text.number("p3") == 3
    assert text.paragraph("p2").en == ("Two.",)
    shorter = Text((text.paragraphs[0], text.paragraphs[2]))
    assert shorter.number("p3") == 2
    with pytest.raises(NotFound):
        shorter.number("p2")
    with pytest.raises(NotFound):
        shorter.paragraph("p2")
    with pytest.raises(NotFound):
        shorter.locate_bracket("b1")


# -- holders ------------------------------------------------------------------------------------


def test_hold_and_release_change_both_copies() -> None:
    text = parse_text(["It [shall / should] act."], ["Il [doit / devrait] agir."])
    text = hold(text, "b1", 0, "FRA")
    text = hold(text, "b1", 1, "DEU")
    p = text.paragraphs[0]
    for language in Language:
        (bracket,) = [s for s in p.segments(language) if isinstance(s, Bracket)]
        assert [a.holders for a in bracket.alternatives] == [{"FRA"}, {"DEU"}]
    text = hold(text, "b1", 1, "FRA")  # FRA moves to the other alternative
    assert [a.holders for a in text.paragraphs[0].brackets()[0].alternatives] == [
        set(),
        {"DEU", "FRA"},
    ]
    text = release(text, "b1", "DEU")
    assert text.paragraphs[0].brackets()[0].holders == {"FRA"}
    assert not text.paragraphs[0].misaligned  # holders are not wording
    with pytest.raises(InvalidInput, match="no alternative 3"):
        hold(text, "b1", 2, "FRA")
    with pytest.raises(InvalidInput, match="alpha-3"):
        hold(text, "b1", 0, "France")
    with pytest.raises(NotFound):
        release(text, "b9", "FRA")


# -- alignment ----------------------------------------------------------------------------------


def test_a_bilingual_import_is_aligned_and_a_one_language_change_is_flagged() -> None:
    text = parse_text(["One.", "Two."], ["Un.", "Deux."])
    assert misaligned(text) == ()
    changed = text.with_paragraph(1, text.paragraphs[1].with_segments(Language.EN, ("Twice.",)))
    assert misaligned(changed) == ("p2",)
    assert changed.paragraphs[1].changed_since_aligned() == (Language.EN,)
    both = changed.with_paragraph(1, changed.paragraphs[1].with_segments(Language.FR, ("Bis.",)))
    assert both.paragraphs[1].changed_since_aligned() == (Language.EN, Language.FR)
    assert misaligned(both) == ("p2",)  # changed in both: still to be checked
    aligned = align(both, "p2")
    assert misaligned(aligned) == ()
    back = aligned.with_paragraph(1, aligned.paragraphs[1].with_segments(Language.FR, ("Deux.",)))
    assert misaligned(back) == ("p2",)


def test_english_only_paragraphs_are_not_aligned_and_cannot_be_aligned_alone() -> None:
    text = parse_text(["One.", "Two."], ["Un.", ""])
    assert misaligned(text) == ("p2",)
    assert text.paragraphs[1].changed_since_aligned() == (Language.EN, Language.FR)
    with pytest.raises(InvalidInput, match="paragraph 2 has no French version to align"):
        align(text, "p2")
    with pytest.raises(NotFound):
        align(text, "p9")
    assert misaligned(parse_text(["One."])) == ("p1",)


# -- notation -----------------------------------------------------------------------------------


def test_parse_the_notation() -> None:
    text = parse_text(["The Council [shall / should] act [firmly].", "Plain."])
    b1, b2 = text.paragraphs[0].brackets()
    assert text.paragraphs[0].en == ("The Council ", b1, " act ", b2, ".")
    assert (b1.id, b1.wordings()) == ("b1", ("shall", "should"))
    assert (b2.id, b2.wordings()) == ("b2", ("firmly", ""))
    assert text.paragraphs[1].en == ("Plain.",)
    assert [p.id for p in text.paragraphs] == ["p1", "p2"]


def test_parse_trims_alternatives_and_takes_any_slash_as_a_separator() -> None:
    (segment,) = parse_paragraph("[ a/b /  c ]", number=1, next_id=lambda: "b1")
    assert isinstance(segment, Bracket)
    assert segment.wordings() == ("a", "b", "c")
    (segment,) = parse_paragraph("[a / ]", number=1, next_id=lambda: "b1")
    assert isinstance(segment, Bracket)
    assert segment.wordings() == ("a", "")
    assert render((segment,)) == "[a]"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("The [Council", "paragraph 2 (English) has unbalanced square brackets"),
        ("The Council]", "paragraph 2 (English) has unbalanced square brackets"),
        ("a] [b", "paragraph 2 (English) has unbalanced square brackets"),
        ("[a] b]", "paragraph 2 (English) has unbalanced square brackets"),
        ("[a [b] c]", "paragraph 2 (English) has a bracket inside a bracket"),
        ("x [] y", "paragraph 2 (English) has an empty bracket"),
        ("x [ / ] y", "paragraph 2 (English) has an empty bracket"),
        ("x [a / a] y", "paragraph 2 (English) has a bracket offering the same wording twice"),
        ("   ", "paragraph 2 is empty"),
    ],
)
def test_parse_errors_name_the_paragraph(source: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_text(["Fine.", source])
    assert str(caught.value) == message
    assert caught.value.params["number"] == 2


def test_parse_french_errors() -> None:
    with pytest.raises(InvalidInput, match="paragraph 1 \\(French\\) has unbalanced"):
        parse_text(["[a / b]"], ["[a / b"])
    with pytest.raises(InvalidInput, match="paragraph 1: the French brackets do not match"):
        parse_text(["[a / b] c"], ["[a / b] [c]"])
    with pytest.raises(InvalidInput, match="French brackets do not match"):
        parse_text(["[a / b] c"], ["[a / b / c] c"])
    with pytest.raises(InvalidInput, match="French version has 1 paragraphs and the English 2"):
        parse_text(["a", "b"], ["a"])


def test_the_french_copy_shares_the_bracket_id() -> None:
    text = parse_text(["It [shall / should] act."], ["Il [doit / devrait] agir."])
    p = text.paragraphs[0]
    assert p.bracket_copies("b1")[Language.FR].wordings() == ("doit", "devrait")
    assert render_paragraph(p, Language.FR) == "Il [doit / devrait] agir."
    assert render_text(text, Language.FR) == ("Il [doit / devrait] agir.",)
    assert p.aligned == p.digests()


@settings(max_examples=200)
@given(sources)
def test_render_parse_round_trips_canonical_notation(en: list[str]) -> None:
    fr = [french(s) for s in en]
    text = parse_text(en, fr)
    assert render_text(text) == tuple(en)
    assert render_text(text, Language.FR) == tuple(fr)


_SLASH = re.compile(r" / ")


@settings(max_examples=200)
@given(sources, st.data())
def test_parse_is_stable_on_loose_spacing(en: list[str], data: st.DataObject) -> None:
    spacing = data.draw(st.sampled_from(["/", " /", "/  ", "  /  "]))
    loose = [_SLASH.sub(spacing, s).replace("[", "[ ").replace("]", " ]") for s in en]
    assert render_text(parse_text(loose)) == tuple(en)


@settings(max_examples=300)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from("ab [/]."), min_size=1, max_size=20),
        min_size=1,
        max_size=3,
    )
)
def test_parse_never_fails_other_than_invalid_input(raw: list[str]) -> None:
    try:
        text = parse_text(raw)
    except InvalidInput as exc:
        assert "paragraph" in str(exc) or "wording" in str(exc)
        return
    assert parse_text(list(render_text(text))) == text


@given(paragraph_sources())
def test_unbalanced_input_names_its_paragraph(source: str) -> None:
    for broken in (source + " [tail", source.replace("]", "", 1) if "]" in source else "x]"):
        with pytest.raises(InvalidInput) as caught:
            parse_text(["Fine.", "Fine.", broken])
        assert caught.value.params["number"] == 3


@given(texts())
def test_generated_texts_are_aligned_and_well_formed(text: Text) -> None:
    assert misaligned(text) == ()
    for p in text.paragraphs:
        assert p.brackets() == tuple(s for s in p.en if isinstance(s, Bracket))


def test_domain_errors_are_translatable() -> None:
    with pytest.raises(DomainError) as caught:
        parse_text(["[a"])
    assert caught.value.translated(lambda t: f"«{t}»") == (
        "«paragraph 1 (English) has unbalanced square brackets»"
    )
