"""What a text comes to: positions, clean text, agreed so far, open brackets, readiness, diffs."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from negotiation_strategies import changes, texts

from concord.domain.errors import IllegalTransition, InvalidInput
from concord.domain.negotiation import (
    Alternative,
    Amendment,
    AmendmentState,
    Bracket,
    BracketKind,
    DeleteParagraph,
    InsertParagraph,
    Language,
    OpenAlternative,
    OpenBracket,
    Paragraph,
    ParagraphChange,
    ParagraphPosition,
    ParagraphStance,
    ReplaceSpan,
    Run,
    RunKind,
    Text,
    agreed_so_far,
    align,
    apply,
    check_ready_for_decision,
    clean_text,
    diff,
    hold,
    holding_out,
    issue_revision,
    latest_positions,
    open_brackets,
    parse_text,
    ready_for_decision,
    render_text,
    word_diff,
)
from concord.domain.texts import Paragraph as CleanParagraph
from concord.domain.texts import text_sha256

TEXT = parse_text(
    ["The Council [shall / should] act.", "It decides.", "It [firmly] agrees.", "Last."],
    ["Le Conseil [doit / devrait] agir.", "Il décide.", "Il [fermement] accepte.", "Fin."],
)


# -- positions ----------------------------------------------------------------------------------


def position(seq: int, state: str, paragraph: str, stance: str) -> ParagraphPosition:
    return ParagraphPosition(seq, state, paragraph, ParagraphStance(stance))


POSITIONS = [
    position(3, "DEU", "p2", "can_agree"),
    position(1, "DEU", "p2", "cannot_agree"),
    position(2, "FRA", "p4", "awaiting_instructions"),
    position(4, "USA", "p4", "can_agree"),
    position(5, "GBR", "p9", "cannot_agree"),  # a paragraph no longer in the text
]


def test_the_latest_position_counts() -> None:
    assert latest_positions(POSITIONS) == {
        "p2": {"DEU": ParagraphStance.CAN_AGREE},
        "p4": {"FRA": ParagraphStance.AWAITING_INSTRUCTIONS, "USA": ParagraphStance.CAN_AGREE},
        "p9": {"GBR": ParagraphStance.CANNOT_AGREE},
    }
    assert holding_out(TEXT, POSITIONS) == {"p4": ("FRA",)}


def test_a_position_is_checked() -> None:
    with pytest.raises(InvalidInput, match="alpha-3"):
        position(1, "Germany", "p1", "can_agree")
    with pytest.raises(ValueError, match="maybe"):
        position(1, "DEU", "p1", "maybe")


def test_agreed_so_far() -> None:
    assert agreed_so_far(TEXT) == ("p2", "p4")
    assert agreed_so_far(TEXT, POSITIONS) == ("p2",)
    later = [*POSITIONS, position(6, "FRA", "p4", "can_agree")]
    assert agreed_so_far(TEXT, later) == ("p2", "p4")


# -- open brackets ------------------------------------------------------------------------------


def test_open_brackets_with_their_holders() -> None:
    text = hold(hold(hold(TEXT, "b1", 0, "FRA"), "b1", 1, "DEU"), "b2", 0, "USA")
    report = open_brackets(text)
    assert report == (
        OpenBracket(
            "b1",
            "p1",
            1,
            BracketKind.ALTERNATIVE,
            "",
            (
                OpenAlternative("shall", "doit", frozenset({"FRA"})),
                OpenAlternative("should", "devrait", frozenset({"DEU"})),
            ),
        ),
        OpenBracket(
            "b2",
            "p3",
            3,
            BracketKind.ALTERNATIVE,
            "",
            (
                OpenAlternative("firmly", "fermement", frozenset({"USA"})),
                OpenAlternative("", "", frozenset()),
            ),
        ),
    )
    assert report[0].holders == {"FRA", "DEU"}
    assert [b.bracket_id for b in open_brackets(text, held_by="USA")] == ["b2"]
    assert open_brackets(text, held_by="ITA") == ()


def test_a_bracket_in_one_language_only() -> None:
    b = Bracket(
        "b7",
        (Alternative("vite", frozenset({"FRA"})), Alternative("")),
        BracketKind.TRADING,
        "for paragraph 9",
    )
    text = Text((Paragraph("p1", ("Act.",), ("Agir ", b, ".")),))
    (report,) = open_brackets(text)
    assert report.kind is BracketKind.TRADING
    assert report.note == "for paragraph 9"
    assert report.alternatives == (
        OpenAlternative(None, "vite", frozenset({"FRA"})),
        OpenAlternative(None, "", frozenset()),
    )
    assert agreed_so_far(text) == ()


# -- clean text and readiness -------------------------------------------------------------------


def test_only_a_text_with_no_bracket_has_a_clean_text() -> None:
    with pytest.raises(IllegalTransition) as caught:
        clean_text(TEXT)
    assert str(caught.value) == "the text is not clean: bracket b1 in paragraph 1 is still open"
    assert caught.value.params["paragraph"] == "p1"
    rev = issue_revision(TEXT, [], {"b1": 1, "b2": 1})
    assert clean_text(rev) == (
        CleanParagraph(1, "The Council should act.", "Le Conseil devrait agir."),
        CleanParagraph(2, "It decides.", "Il décide."),
        CleanParagraph(3, "It agrees.", "Il accepte."),
        CleanParagraph(4, "Last.", "Fin."),
    )
    assert len(text_sha256("PO(2026)0042-REV1", clean_text(rev))) == 64


def test_nothing_is_agreed_until_everything_is_agreed() -> None:
    with pytest.raises(IllegalTransition) as caught:
        check_ready_for_decision(TEXT)
    assert str(caught.value) == (
        "nothing is agreed until everything is agreed: bracket b1 in paragraph 1 is still open"
    )
    assert not ready_for_decision(TEXT)
    one_left = issue_revision(TEXT, [], {"b1": 0})
    with pytest.raises(IllegalTransition, match="bracket b2 in paragraph 3"):
        check_ready_for_decision(one_left)
    clean = issue_revision(one_left, [], {"b2": 0})
    check_ready_for_decision(clean)
    assert ready_for_decision(clean)

    amended = apply(clean, ReplaceSpan("p2", "decides", "agrees"))
    with pytest.raises(IllegalTransition) as caught:
        check_ready_for_decision(amended)
    assert str(caught.value) == "paragraph 2 is not aligned: the English changed since"
    assert not ready_for_decision(amended)
    assert ready_for_decision(align(amended, "p2"))


def test_a_paragraph_never_aligned_blocks_a_decision() -> None:
    with pytest.raises(IllegalTransition) as caught:
        check_ready_for_decision(parse_text(["One.", "Two."], ["Un.", ""]))
    assert str(caught.value) == "paragraph 2 has never been aligned in English and French"
    assert caught.value.params["paragraph"] == "p2"


def test_an_empty_text_is_not_ready() -> None:
    assert not ready_for_decision(Text())
    with pytest.raises(IllegalTransition, match="no paragraphs"):
        check_ready_for_decision(Text())


# -- diffs --------------------------------------------------------------------------------------


def spell(runs: tuple[Run, ...], side: RunKind) -> str:
    return "".join(r.text for r in runs if r.kind in (RunKind.EQUAL, side))


def test_word_diff() -> None:
    assert word_diff("the cat sat on the mat", "the dog sat on the mat today") == (
        Run(RunKind.EQUAL, "the "),
        Run(RunKind.DELETE, "cat "),
        Run(RunKind.INSERT, "dog "),
        Run(RunKind.EQUAL, "sat on the mat"),
        Run(RunKind.INSERT, " today"),
    )
    assert word_diff("a b c", "x y z") == (
        Run(RunKind.DELETE, "a b c"),
        Run(RunKind.INSERT, "x y z"),
    )
    assert word_diff("same", "same") == (Run(RunKind.EQUAL, "same"),)
    assert word_diff("", "") == ()
    assert word_diff("", "new") == (Run(RunKind.INSERT, "new"),)


def test_the_diff_between_revisions_goes_by_identity() -> None:
    batch = [
        Amendment("a1", "FRA", "r", DeleteParagraph("p2"), 1, AmendmentState.ACCEPTED),
        Amendment(
            "a2",
            "DEU",
            "r",
            InsertParagraph(Paragraph("p5", ("New.",), ("Neuf.",)), "p3"),
            2,
            AmendmentState.ACCEPTED,
        ),
    ]
    rev1 = issue_revision(hold(TEXT, "b2", 0, "USA"), batch, {"b1": 0})
    d = diff(TEXT, rev1)
    assert (d.old_revision, d.new_revision) == (0, 1)
    assert [(p.paragraph_id, p.change, p.old_number, p.new_number) for p in d.paragraphs] == [
        ("p1", ParagraphChange.CHANGED, 1, 1),
        ("p2", ParagraphChange.DELETED, 2, None),
        ("p5", ParagraphChange.INSERTED, None, 3),
    ]  # p3 (holders only) and p4 (renumbered only) are not listed
    changed, deleted, inserted = d.paragraphs
    assert changed.en == (
        Run(RunKind.EQUAL, "The Council "),
        Run(RunKind.DELETE, "["),
        Run(RunKind.EQUAL, "shall "),
        Run(RunKind.DELETE, "/ should] "),
        Run(RunKind.EQUAL, "act."),
    )
    assert spell(changed.fr, RunKind.INSERT) == "Le Conseil doit agir."
    assert deleted.en == (Run(RunKind.DELETE, "It decides."),)
    assert inserted.fr == (Run(RunKind.INSERT, "Neuf."),)
    assert not d.empty


def test_a_change_in_one_language_shows_the_other_as_equal() -> None:
    text = apply(TEXT, ReplaceSpan("p2", "décide", "tranche", language=Language.FR))
    (p,) = diff(TEXT, text).paragraphs
    assert p.en == (Run(RunKind.EQUAL, "It decides."),)
    assert p.fr == (
        Run(RunKind.EQUAL, "Il "),
        Run(RunKind.DELETE, "décide"),
        Run(RunKind.INSERT, "tranche"),
        Run(RunKind.EQUAL, "."),
    )


def test_deleted_paragraphs_are_placed_after_their_former_predecessor() -> None:
    text = parse_text(["a", "b", "c", "d"])
    later = Text((text.paragraphs[1], text.paragraphs[3]), 1)
    assert [p.paragraph_id for p in diff(text, later).paragraphs] == ["p1", "p3"]
    assert [p.paragraph_id for p in diff(later, text).paragraphs] == ["p1", "p3"]


@settings(max_examples=150)
@given(texts())
def test_the_diff_of_a_revision_with_itself_is_empty(text: Text) -> None:
    assert diff(text, text).empty
    copy = parse_text(list(render_text(text)), list(render_text(text, Language.FR)))
    assert diff(text, copy).empty  # equal wording, other objects, holders dropped


@settings(max_examples=200)
@given(st.data())
def test_the_runs_spell_both_revisions(data: st.DataObject) -> None:
    text = data.draw(texts())
    change = data.draw(changes(text))
    try:
        other = apply(text, change)
    except InvalidInput:
        return
    d = diff(text, other)
    by_id = {p.paragraph_id: p for p in d.paragraphs}
    for language in Language:
        for p in text.paragraphs:
            if p.id in by_id:
                runs = by_id[p.id].en if language is Language.EN else by_id[p.id].fr
                assert (
                    spell(runs, RunKind.DELETE)
                    == render_text(text, language)[text.number(p.id) - 1]
                )
        for p in other.paragraphs:
            if p.id in by_id:
                runs = by_id[p.id].en if language is Language.EN else by_id[p.id].fr
                assert (
                    spell(runs, RunKind.INSERT)
                    == render_text(other, language)[other.number(p.id) - 1]
                )


@settings(max_examples=300)
@given(st.text(alphabet="ab c.\u00e9", max_size=30), st.text(alphabet="ab c.\u00e9", max_size=30))
def test_word_diff_spells_both_sides(old: str, new: str) -> None:
    runs = word_diff(old, new)
    assert spell(runs, RunKind.DELETE) == old
    assert spell(runs, RunKind.INSERT) == new
    assert all(r.text for r in runs)
    assert all(a.kind != b.kind for a, b in itertools.pairwise(runs))
    if old != new:
        assert any(r.kind is not RunKind.EQUAL for r in runs)
