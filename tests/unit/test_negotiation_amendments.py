"""Amendments: the lifecycle table, applying and reverting, rolling revisions."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from negotiation_strategies import changes, texts, words

from concord.domain.errors import IllegalTransition, InvalidInput, NotFound
from concord.domain.negotiation import (
    AMENDMENT_TRANSITIONS,
    Alternative,
    Amendment,
    AmendmentAction,
    AmendmentState,
    Bracket,
    Change,
    DeleteParagraph,
    DeleteSpan,
    InsertParagraph,
    Language,
    Overtaken,
    Paragraph,
    ReplaceParagraph,
    ReplaceSpan,
    Text,
    align,
    applies,
    apply,
    check_amendment_transition,
    clean_text,
    hold,
    inverse,
    issue_revision,
    misaligned,
    overtaken,
    parse_text,
    render_text,
    revert,
)

# -- the lifecycle table ------------------------------------------------------------------------

PAIRS = list(itertools.product(AmendmentState, AmendmentAction))


def test_the_walk_covers_every_pair() -> None:
    assert len(PAIRS) == 5 * 4
    assert set(AMENDMENT_TRANSITIONS) == set(AmendmentState)


@pytest.mark.parametrize(("state", "action"), PAIRS, ids=lambda v: v.value)
def test_check_amendment_transition(state: AmendmentState, action: AmendmentAction) -> None:
    target = AMENDMENT_TRANSITIONS[state].get(action)
    if target is not None:
        assert check_amendment_transition(state, action) is target
        assert not state.final
    else:
        with pytest.raises(IllegalTransition) as caught:
            check_amendment_transition(state, action)
        assert caught.value.code == "conflict"
        assert state.value in str(caught.value)


def test_the_moves() -> None:
    legal = {(s, a, t) for s, moves in AMENDMENT_TRANSITIONS.items() for a, t in moves.items()}
    assert legal == {
        (AmendmentState.PROPOSED, AmendmentAction.ACCEPT, AmendmentState.ACCEPTED),
        (AmendmentState.PROPOSED, AmendmentAction.REJECT, AmendmentState.REJECTED),
        (AmendmentState.PROPOSED, AmendmentAction.WITHDRAW, AmendmentState.WITHDRAWN),
        (AmendmentState.PROPOSED, AmendmentAction.OVERTAKE, AmendmentState.MOOT),
        (AmendmentState.ACCEPTED, AmendmentAction.OVERTAKE, AmendmentState.MOOT),
    }
    assert {s for s in AmendmentState if s.final} == {
        AmendmentState.REJECTED,
        AmendmentState.WITHDRAWN,
        AmendmentState.MOOT,
    }


def amendment(change: Change, seq: int = 1, **kwargs: object) -> Amendment:
    fields: dict[str, object] = {"delegation": "FRA", "rationale": "clearer", "seq": seq}
    fields.update(kwargs)
    return Amendment(f"a{seq}", change=change, **fields)  # type: ignore[arg-type]


def accepted(change: Change, seq: int = 1) -> Amendment:
    return amendment(change, seq).move(AmendmentAction.ACCEPT)


def test_an_amendment_moves_through_the_table() -> None:
    a = amendment(DeleteParagraph("p1"))
    assert a.state is AmendmentState.PROPOSED
    done = a.move(AmendmentAction.ACCEPT).move(AmendmentAction.OVERTAKE)
    assert done.state is AmendmentState.MOOT
    assert a.state is AmendmentState.PROPOSED  # values, not objects that change
    with pytest.raises(IllegalTransition, match="the amendment is moot: it cannot be accepted"):
        done.move(AmendmentAction.ACCEPT)


def test_an_amendment_is_checked() -> None:
    with pytest.raises(InvalidInput, match="rationale"):
        amendment(DeleteParagraph("p1"), rationale="  ")
    with pytest.raises(InvalidInput, match="alpha-3"):
        amendment(DeleteParagraph("p1"), delegation="France")
    with pytest.raises(InvalidInput, match="amendment id"):
        Amendment("a 1", "FRA", "why", DeleteParagraph("p1"))
    with pytest.raises(InvalidInput, match="empty"):
        ReplaceSpan("p1", "", "x")
    with pytest.raises(InvalidInput, match="counted from 1"):
        DeleteSpan("p1", "x", occurrence=0)
    with pytest.raises(InvalidInput, match="bracket"):
        ReplaceSpan("p1", "[x", "y")
    with pytest.raises(InvalidInput, match="reserved for brackets"):
        ReplaceSpan("p1", "x", "see [1]")


# -- applying -----------------------------------------------------------------------------------

BASE = parse_text(
    ["The Council [shall / should] act and act now.", "It [firmly] decides.", "Last."],
    ["Le Conseil [doit / devrait] agir et agir.", "Il décide [fermement].", "Fin."],
)


def test_replace_a_span_by_occurrence() -> None:
    second = apply(BASE, ReplaceSpan("p1", "act", "move", occurrence=2))
    assert render_text(second)[0] == "The Council [shall / should] act and move now."
    first = apply(BASE, ReplaceSpan("p1", "act", "move"))
    assert render_text(first)[0] == "The Council [shall / should] move and act now."
    assert render_text(BASE)[0] == "The Council [shall / should] act and act now."
    assert first.revision == BASE.revision


def test_a_span_is_found_only_outside_brackets() -> None:
    with pytest.raises(InvalidInput, match="'shall' does not occur 1 time"):
        apply(BASE, ReplaceSpan("p1", "shall", "must"))
    with pytest.raises(InvalidInput, match=r"'act' does not occur 3 time.* paragraph 1"):
        apply(BASE, ReplaceSpan("p1", "act", "move", occurrence=3))


def test_replace_in_french() -> None:
    text = apply(BASE, ReplaceSpan("p1", "agir.", "agir vite.", language=Language.FR))
    assert render_text(text, Language.FR)[0] == "Le Conseil [doit / devrait] agir et agir vite."
    assert render_text(text)[0] == render_text(BASE)[0]
    assert misaligned(text) == ("p1",)


def test_a_replacement_may_bring_a_bracket() -> None:
    new = Bracket("b9", (Alternative("promptly", frozenset({"DEU"})), Alternative("")))
    text = apply(BASE, ReplaceSpan("p3", "Last", ("Last ", new)))
    assert render_text(text)[2] == "Last [promptly]."
    with pytest.raises(InvalidInput, match="bracket id b1 is already used"):
        apply(BASE, ReplaceSpan("p3", "Last", ("Last ", Bracket("b1", new.alternatives))))


def test_the_french_copy_of_a_new_bracket() -> None:
    new = Bracket("b9", (Alternative("promptly", frozenset({"DEU"})), Alternative("")))
    text = apply(BASE, ReplaceSpan("p3", "Last", ("Last ", new)))
    copy = Bracket("b9", (Alternative("vite", frozenset({"DEU"})), Alternative("")))
    both = apply(text, ReplaceSpan("p3", "Fin", ("Fin ", copy), language=Language.FR))
    assert render_text(both, Language.FR)[2] == "Fin [vite]."
    wrong = Bracket("b9", (Alternative("vite"), Alternative("")))
    with pytest.raises(InvalidInput, match="differ in kind, note or holders"):
        apply(text, ReplaceSpan("p3", "Fin", ("Fin ", wrong), language=Language.FR))


def test_delete_a_span() -> None:
    text = apply(BASE, DeleteSpan("p1", " and act now"))
    assert render_text(text)[0] == "The Council [shall / should] act."
    with pytest.raises(InvalidInput, match="leave paragraph 3 empty: delete it instead"):
        apply(parse_text(["a", "b", "Last."]), DeleteSpan("p3", "Last."))


def test_insert_and_delete_paragraphs() -> None:
    new = Paragraph("p4", ("New.",), ("Nouveau.",))
    text = apply(BASE, InsertParagraph(new, "p1"))
    assert [p.id for p in text.paragraphs] == ["p1", "p4", "p2", "p3"]
    assert text.number("p2") == 3  # renumbered; same identity
    first = apply(BASE, InsertParagraph(new))
    assert [p.id for p in first.paragraphs] == ["p4", "p1", "p2", "p3"]
    gone = apply(BASE, DeleteParagraph("p2"))
    assert [p.id for p in gone.paragraphs] == ["p1", "p3"]
    with pytest.raises(InvalidInput, match="paragraph id p1 is already used"):
        apply(BASE, InsertParagraph(Paragraph("p1", ("x",))))
    with pytest.raises(NotFound, match="paragraph p9 is not in the text"):
        apply(BASE, InsertParagraph(new, "p9"))
    with pytest.raises(NotFound):
        apply(BASE, DeleteParagraph("p9"))
    with pytest.raises(InvalidInput, match="bracket id b2 is already used"):
        apply(
            BASE,
            InsertParagraph(Paragraph("p4", (Bracket("b2", (Alternative("x"), Alternative(""))),))),
        )


def test_replace_a_paragraph() -> None:
    text = apply(BASE, ReplaceParagraph(Paragraph("p2", ("It decides.",))))
    assert render_text(text)[1] == "It decides."
    assert text.paragraph("p2").fr == ()


def test_an_amendment_that_does_not_apply_is_overtaken() -> None:
    a = amendment(ReplaceSpan("p9", "x", "y"))
    with pytest.raises(Overtaken) as caught:
        apply(BASE, a)
    assert str(caught.value) == "amendment a1 no longer applies: paragraph p9 is not in the text"
    assert caught.value.code == "conflict"
    assert isinstance(caught.value.cause, NotFound)
    french = {
        "amendment {amendment} no longer applies: {reason}": "l'amendement {amendment} : {reason}",
        "paragraph {paragraph} is not in the text": "le paragraphe {paragraph} n'existe pas",
    }
    assert (
        caught.value.translated(lambda t: french.get(t, t))
        == "l'amendement a1 : le paragraphe p9 n'existe pas"
    )
    assert not applies(BASE, a)
    assert applies(BASE, amendment(DeleteParagraph("p1")))


def test_overtaken_lists_the_open_amendments_that_no_longer_apply() -> None:
    rev1 = issue_revision(BASE, [accepted(DeleteParagraph("p2"), 1)])
    pending = [
        amendment(ReplaceSpan("p2", "decides", "agrees"), 2),
        amendment(ReplaceSpan("p3", "Last", "Final"), 3),
        amendment(ReplaceSpan("p2", "It", "He"), 4).move(AmendmentAction.REJECT),
        accepted(DeleteSpan("p1", "now"), 5),
        accepted(DeleteSpan("p1", "never"), 6),
    ]
    assert overtaken(rev1, pending) == ("a2", "a6")


# -- apply, then revert -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        ReplaceSpan("p1", "act", "move", occurrence=2),
        DeleteSpan("p2", "It "),
        DeleteParagraph("p1"),
        DeleteParagraph("p3"),
        InsertParagraph(Paragraph("p4", ("New.",)), "p3"),
        InsertParagraph(Paragraph("p4", ("New.",))),
        ReplaceParagraph(Paragraph("p2", ("Other.",))),
    ],
    ids=lambda c: type(c).__name__,
)
def test_revert_restores_the_exact_original(change: Change) -> None:
    applied = apply(BASE, change)
    assert applied != BASE
    assert revert(applied, change, BASE) == BASE
    assert apply(applied, inverse(BASE, change)) == BASE


def test_the_inverse_of_a_deletion_puts_the_paragraph_back_in_place() -> None:
    assert inverse(BASE, DeleteParagraph("p2")) == InsertParagraph(BASE.paragraphs[1], "p1")
    assert inverse(BASE, DeleteParagraph("p1")) == InsertParagraph(BASE.paragraphs[0], None)
    with pytest.raises(NotFound):
        inverse(BASE, DeleteParagraph("p9"))


@settings(max_examples=300)
@given(st.data())
def test_apply_then_revert_restores_the_text(data: st.DataObject) -> None:
    text = data.draw(texts())
    change = data.draw(changes(text))
    try:
        applied = apply(text, change)
    except InvalidInput as exc:
        assume("empty" not in str(exc))  # a deletion that would empty a paragraph
        raise
    assert revert(applied, change, text) == text
    as_amendment = amendment(change)
    assert revert(apply(text, as_amendment), as_amendment, text) == text


@settings(max_examples=200)
@given(st.lists(words, min_size=1, max_size=3), words, st.data())
def test_a_span_replacement_replaces_that_occurrence(
    pieces: list[str], new: str, data: st.DataObject
) -> None:
    source = " ".join(pieces)
    start = data.draw(st.integers(0, len(source) - 1))
    old = source[start : data.draw(st.integers(start + 1, len(source)))]
    occurrence = data.draw(st.integers(1, source.count(old)))
    at = -len(old)
    for _ in range(occurrence):
        at = source.find(old, at + len(old))
    text = apply(parse_text([source]), ReplaceSpan("p1", old, new, occurrence))
    assert render_text(text) == (source[:at] + new + source[at + len(old) :],)


# -- rolling revisions --------------------------------------------------------------------------


def test_issue_a_revision_applies_in_seq_order_and_cleans_brackets() -> None:
    batch = [
        accepted(ReplaceSpan("p1", "act", "move", occurrence=2), 2),
        accepted(InsertParagraph(Paragraph("p4", ("Fourth.",)), "p1"), 3),
        accepted(InsertParagraph(Paragraph("p5", ("Fifth.",)), "p1"), 1),
        accepted(DeleteSpan("p1", " now"), 4),
    ]
    rev1 = issue_revision(BASE, batch, {"b1": 0, "b2": 1})
    assert rev1.revision == 1
    assert render_text(rev1) == (
        "The Council shall act and move.",
        "Fifth.",
        "Fourth.",
        "It decides.",
        "Last.",
    )
    assert render_text(rev1, Language.FR)[:1] == ("Le Conseil doit agir et agir.",)
    assert render_text(BASE)[0] == "The Council [shall / should] act and act now."  # unchanged
    assert BASE.revision == 0


def test_spans_are_found_in_the_text_the_revision_is_issued_from() -> None:
    batch = [
        accepted(ReplaceSpan("p1", "The Council", "The act of the Council"), 1),
        accepted(ReplaceSpan("p1", "act", "move", occurrence=2), 2),
    ]
    assert render_text(issue_revision(BASE, batch))[0] == (
        "The act of the Council [shall / should] act and move now."
    )


def test_only_accepted_amendments_once_each() -> None:
    with pytest.raises(IllegalTransition, match="amendment a1 is proposed, not accepted"):
        issue_revision(BASE, [amendment(DeleteParagraph("p1"))])
    a = accepted(DeleteParagraph("p1"))
    with pytest.raises(InvalidInput, match="given twice"):
        issue_revision(BASE, [a, a])


@pytest.mark.parametrize(
    ("first", "second", "reason"),
    [
        (
            DeleteParagraph("p2"),
            ReplaceSpan("p2", "decides", "agrees"),
            "amendment a1 already deletes or replaces paragraph 2",
        ),
        (
            ReplaceSpan("p1", "act and", "acts, and"),
            DeleteSpan("p1", "and act"),
            "amendment a1 already changes these words of paragraph 1",
        ),
        (
            DeleteSpan("p2", "It "),
            DeleteParagraph("p2"),
            "amendment a1 already changes words of paragraph 2",
        ),
        (
            ReplaceParagraph(Paragraph("p2", ("x",))),
            ReplaceParagraph(Paragraph("p2", ("y",))),
            "amendment a1 already deletes or replaces paragraph 2",
        ),
        (
            InsertParagraph(Paragraph("p4", ("x",))),
            InsertParagraph(Paragraph("p4", ("y",))),
            "paragraph id p4 is already used",
        ),
    ],
)
def test_a_later_conflicting_amendment_is_overtaken(
    first: Change, second: Change, reason: str
) -> None:
    with pytest.raises(Overtaken) as caught:
        issue_revision(BASE, [accepted(second, 2), accepted(first, 1)])
    assert caught.value.amendment == "a2"
    assert str(caught.value) == f"amendment a2 no longer applies: {reason}"


def test_adjacent_spans_do_not_conflict() -> None:
    batch = [
        accepted(ReplaceSpan("p3", "La", "Fi"), 1),
        accepted(ReplaceSpan("p3", "st", "rst"), 2),
    ]
    assert render_text(issue_revision(BASE, batch))[2] == "First."


def test_inserted_paragraphs_can_anchor_each_other_and_deleted_ones() -> None:
    batch = [
        accepted(DeleteParagraph("p2"), 1),
        accepted(InsertParagraph(Paragraph("n1", ("One.",)), "p2"), 2),
        accepted(InsertParagraph(Paragraph("n2", ("Two.",)), "n1"), 3),
        accepted(InsertParagraph(Paragraph("n3", ("Three.",)), "p2"), 4),
        accepted(InsertParagraph(Paragraph("n0", ("Zero.",))), 5),
    ]
    rev = issue_revision(BASE, batch)
    assert [p.id for p in rev.paragraphs] == ["n0", "p1", "n1", "n2", "n3", "p3"]


def test_a_long_chain_of_insertions() -> None:
    batch = [accepted(InsertParagraph(Paragraph("n1", ("x",)), "p3"), 1)] + [
        accepted(InsertParagraph(Paragraph(f"n{i}", ("x",)), f"n{i - 1}"), i)
        for i in range(2, 3000)
    ]
    rev = issue_revision(BASE, batch)
    assert [p.id for p in rev.paragraphs[3:6]] == ["n1", "n2", "n3"]
    assert len(rev.paragraphs) == 3 + 2999


def test_cleaning_errors() -> None:
    with pytest.raises(NotFound, match="bracket b9"):
        issue_revision(BASE, [], {"b9": 0})
    with pytest.raises(InvalidInput, match="bracket b1 has no alternative 3"):
        issue_revision(BASE, [], {"b1": 2})
    with pytest.raises(IllegalTransition, match="an amendment deletes or replaces"):
        issue_revision(BASE, [accepted(DeleteParagraph("p2"))], {"b2": 0})


@pytest.mark.parametrize(
    ("source", "choice", "clean"),
    [
        ("It [firmly] decides.", 1, "It decides."),
        ("It [firmly] decides.", 0, "It firmly decides."),
        ("It decides [firmly].", 1, "It decides."),
        ("It decides [firmly] .", 1, "It decides ."),
        ("[Firmly] it decides.", 1, "it decides."),
        ("It decides [firmly]", 1, "It decides"),
        ("It decides, [firmly], now.", 1, "It decides,, now."),
        ("It [a / b / ] decides.", 2, "It decides."),
        ("Word[s] here.", 1, "Word here."),
    ],
)
def test_cleaning_to_deletion_takes_a_space_with_it(source: str, choice: int, clean: str) -> None:
    rev = issue_revision(parse_text(["x", source]), [], {"b1": choice})
    assert render_text(rev)[1] == clean


def test_a_paragraph_cleaned_to_nothing_is_dropped() -> None:
    text = parse_text(["One.", "[A whole paragraph.]", "Three."], ["Un.", "[Tout.]", "Trois."])
    rev = issue_revision(text, [], {"b1": 1})
    assert [p.id for p in rev.paragraphs] == ["p1", "p3"]
    assert issue_revision(text, [], {"b1": 0}).paragraph("p2").en == ("A whole paragraph.",)


def test_cleaning_a_bracket_in_both_languages_keeps_alignment() -> None:
    rev = issue_revision(BASE, [], {"b1": 1, "b2": 0})
    assert misaligned(rev) == ()
    assert rev.paragraph("p1").aligned == rev.paragraph("p1").digests()
    assert render_text(rev, Language.FR)[:2] == (
        "Le Conseil devrait agir et agir.",
        "Il décide fermement.",
    )


def test_an_amended_paragraph_must_be_aligned_again() -> None:
    rev = issue_revision(BASE, [accepted(DeleteSpan("p1", " now"))], {"b1": 0})
    assert misaligned(rev) == ("p1",)


def test_cleaning_a_bracket_present_in_one_language_only_flags_the_paragraph() -> None:
    english = parse_text(["It [firmly] decides."]).paragraphs[0]
    text = align(Text((Paragraph("p1", english.en, ("Il décide fermement.",)),)), "p1")
    assert misaligned(text) == ()  # the translators agreed to that
    assert misaligned(issue_revision(text, [], {"b1": 0})) == ("p1",)


def test_a_french_copy_added_in_the_same_revision_is_cleaned_too() -> None:
    english = parse_text(["It [firmly] decides."]).paragraphs[0]
    text = Text((Paragraph("p1", english.en, ("Il décide.",)),))
    (bracket,) = text.paragraphs[0].brackets()
    copy = Bracket(bracket.id, (Alternative("fermement"), Alternative("")))
    add_copy = ReplaceSpan("p1", "décide", ("décide ", copy), language=Language.FR)
    rev = issue_revision(text, [accepted(add_copy)], {bracket.id: 0})
    assert render_text(rev, Language.FR) == ("Il décide fermement.",)
    assert render_text(rev) == ("It firmly decides.",)


def test_holders_do_not_survive_cleaning_but_other_brackets_keep_theirs() -> None:
    text = hold(hold(BASE, "b1", 0, "FRA"), "b2", 0, "USA")
    rev = issue_revision(text, [], {"b1": 0})
    (b2,) = rev.paragraph("p2").brackets()
    assert b2.holders == {"USA"}


@settings(max_examples=200)
@given(texts())
def test_cleaning_every_bracket_gives_a_clean_text(text: Text) -> None:
    cleaned = {b.id: len(b.alternatives) - 1 for _p, b in text.brackets()}
    rev = issue_revision(text, [], cleaned)
    for paragraph in clean_text(rev):
        for wording in (paragraph.text, paragraph.text_fr):
            assert "[" not in wording
            assert "]" not in wording
    assert misaligned(rev) == ()
