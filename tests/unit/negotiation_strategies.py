"""Hypothesis strategies for the negotiation tests: sources in the notation, texts, changes."""

from __future__ import annotations

from hypothesis import strategies as st

from concord.domain.negotiation import (
    Alternative,
    Bracket,
    BracketKind,
    Change,
    DeleteParagraph,
    DeleteSpan,
    InsertParagraph,
    Language,
    Paragraph,
    ReplaceParagraph,
    ReplaceSpan,
    Text,
    hold,
    parse_text,
)

WORDS = ["the", "council", "shall", "should", "act", "now", "plan", "défense", "of", "and", "a"]
STATES = ["BEL", "CAN", "DEU", "FRA", "GBR", "USA"]

words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(" ".join)
punctuation = st.sampled_from(["", ".", ",", ";", ":"])


@st.composite
def plain_sources(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["", " "])) + draw(words) + draw(punctuation)


@st.composite
def bracket_sources(draw: st.DrawFn) -> str:
    """A bracket in canonical notation: ``[a]``, ``[a / b]``, ``[a / b / ]`` …"""
    wordings = draw(st.lists(words, min_size=1, max_size=3, unique=True))
    if len(wordings) >= 2 and draw(st.booleans()):
        wordings.append("")
    if len(wordings) >= 2 and wordings[-1] == "" and len(wordings) == 2:
        return f"[{wordings[0]}]"
    return "[" + " / ".join(wordings) + "]"


@st.composite
def paragraph_sources(draw: st.DrawFn) -> str:
    """One paragraph in canonical notation (pieces joined by single spaces)."""
    pieces = draw(st.lists(st.one_of(words, bracket_sources()), min_size=1, max_size=5))
    return " ".join(pieces) + draw(punctuation)


sources = st.lists(paragraph_sources(), min_size=1, max_size=6)


def french(source: str) -> str:
    """A stand-in French version with the same brackets: upper case."""
    return source.upper()


@st.composite
def texts(draw: st.DrawFn, *, bilingual: bool = True, held: bool = True) -> Text:
    en = draw(sources)
    text = parse_text(en, [french(s) for s in en] if bilingual else None)
    if held:
        for _paragraph, bracket in text.brackets():
            for state in draw(st.lists(st.sampled_from(STATES), max_size=3, unique=True)):
                choice = draw(st.integers(0, len(bracket.alternatives) - 1))
                text = hold(text, bracket.id, choice, state)
    return text


def plain_of(paragraph: Paragraph, language: Language) -> list[str]:
    return [s for s in paragraph.segments(language) if isinstance(s, str)]


@st.composite
def replacements(draw: st.DrawFn) -> str | tuple[str | Bracket, ...]:
    if draw(st.booleans()):
        return draw(st.sampled_from(["", " "])) + draw(words) + draw(st.sampled_from(["", " "]))
    bracket = Bracket(
        "nb1",
        (Alternative(draw(words), frozenset({"FRA"})), Alternative("")),
        draw(st.sampled_from(BracketKind)),
        draw(st.sampled_from(["", "pending capital"])),
    )
    return (draw(words) + " ", bracket, " ")


@st.composite
def changes(draw: st.DrawFn, text: Text) -> Change:
    """A change that applies to ``text`` (unless it would empty a paragraph)."""
    ids = [p.id for p in text.paragraphs]
    kind = draw(st.sampled_from(["insert", "delete", "replace", "delete_span", "paragraph"]))
    if kind == "insert":
        new = Paragraph("new1", (draw(words),), (draw(words).upper(),))
        return InsertParagraph(new, draw(st.sampled_from([None, *ids])))
    paragraph = draw(st.sampled_from(text.paragraphs))
    if kind == "delete":
        return DeleteParagraph(paragraph.id)
    if kind == "paragraph":
        return ReplaceParagraph(Paragraph(paragraph.id, (draw(words),), paragraph.fr))
    language = draw(st.sampled_from(Language))
    pieces = [s for s in plain_of(paragraph, language) if s]
    if not pieces:
        return DeleteParagraph(paragraph.id)
    piece = draw(st.sampled_from(pieces))
    start = draw(st.integers(0, len(piece) - 1))
    end = draw(st.integers(start + 1, len(piece)))
    old = piece[start:end]
    count = sum(s.count(old) for s in pieces)
    occurrence = draw(st.integers(1, count))
    if kind == "delete_span":
        return DeleteSpan(paragraph.id, old, occurrence, language)
    return ReplaceSpan(paragraph.id, old, draw(replacements()), occurrence, language)
