"""The plain bracketed notation, for importing drafts and showing a text as strings.

One string per paragraph. ``[a / b]`` is a bracket with the alternatives ``a`` and ``b`` (any
``/`` inside square brackets separates alternatives, and the spaces around each are dropped);
``[a]`` is one wording against deletion, i.e. the alternatives ``a`` and the empty wording. An
empty alternative elsewhere is written as nothing between separators: ``[a / b / ]``.

Rendering is the inverse for texts in canonical form (one space either side of each ``/``, no
spaces just inside the square brackets): ``render_text(parse_text(x)) == x``. Kinds and notes
have no place in the notation; parsed brackets are of one kind.

Holders (``holders=True``): an alternative may end with the states holding it in parentheses,
one or more ISO alpha-3 codes separated by commas, after a space:
``[stronger wording (DEU, FRA) / weaker wording (TUR)]``. Deletion held by states is an empty
wording followed by its holders: ``[wording (FRA) / (TUR)]``; ``[wording (FRA)]`` is still one
wording against a deletion held by nobody. Only the last group is taken, so a wording that itself
ends with something that reads as holders is rendered with an explicit empty group ``()``
meaning "held by nobody": ``[the United States (USA) () / others (FRA)]``. Rendering with holders
writes the codes in alphabetical order, separated by ``", "``; then
``parse_text(render_text(t, holders=True), holders=True)`` gives back every text ``t`` made by
:func:`parse_text` (with its holders, ids and alignment).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import partial

from concord.domain.errors import InvalidInput, _
from concord.domain.negotiation.model import (
    Alternative,
    Bracket,
    BracketKind,
    Language,
    Paragraph,
    Segment,
    Text,
    digest,
    normalise_segments,
    render,
)

#: A trailing group of holders: ``(FRA)``, ``(DEU, FRA)`` or the explicit ``()``, at the start
#: of an alternative or after a space.
_HOLDERS = re.compile(r"(?:^|\s)\(\s*((?:[A-Z]{3}(?:\s*,\s*[A-Z]{3})*)?)\s*\)$")


def split_holders(source: str) -> tuple[str, frozenset[str]]:
    """An alternative as written with holders → its wording and its holders. Only the last
    trailing group is taken; the wording is stripped."""
    source = source.strip()
    match = _HOLDERS.search(source)
    if match is None:
        return source, frozenset()
    codes = frozenset(c.strip() for c in match.group(1).split(",") if c.strip())
    return source[: match.start()].strip(), codes


def holders_suffix(alternative: Alternative) -> str:
    """What follows an alternative's wording in the notation with holders: ``" (DEU, FRA)"``,
    ``" ()"`` where the wording alone would read as holding, or nothing."""
    if alternative.holders:
        group = "(" + ", ".join(sorted(alternative.holders)) + ")"
        return f" {group}" if alternative.wording else group
    if split_holders(alternative.wording) != (alternative.wording, frozenset()):
        return " ()"
    return ""


def bracket_parts(bracket: Bracket, *, holders: bool = False) -> tuple[tuple[str, str], ...]:
    """The alternatives of a bracket as written, each as (wording, holders suffix): the pieces
    between ``[``, `` / `` and ``]``. A last deletion held by nobody is left out (``[a]``)."""
    alternatives = bracket.alternatives
    shorthand = len(alternatives) == 2 and alternatives[1].deletion
    if shorthand and not (holders and alternatives[1].holders):
        alternatives = alternatives[:1]
    return tuple((a.wording, holders_suffix(a) if holders else "") for a in alternatives)


def render_bracket(bracket: Bracket, *, holders: bool = False) -> str:
    """One bracket in the notation, with its holders when ``holders``."""
    parts = bracket_parts(bracket, holders=holders)
    return "[" + " / ".join(w + h for w, h in parts) + "]"


def render_segments(segments: Sequence[Segment], *, holders: bool = False) -> str:
    """A language version of a paragraph in the notation, with holders when ``holders``."""
    if not holders:
        return render(segments)
    return "".join(s if isinstance(s, str) else render_bracket(s, holders=True) for s in segments)


def parse_paragraph(
    source: str,
    *,
    number: int,
    next_id: Callable[[], str],
    kind: BracketKind = BracketKind.ALTERNATIVE,
    language: Language = Language.EN,
    holders: bool = False,
) -> tuple[Segment, ...]:
    """The segments of one paragraph in the notation; ``number`` names it in errors and
    ``next_id`` gives each bracket its id, left to right. With ``holders``, a trailing group
    of state codes in an alternative gives its holders (see the module's docstring)."""

    def refuse(template: str) -> InvalidInput:
        return InvalidInput(template, number=number, language=language.label)

    segments: list[Segment] = []
    at = 0
    while True:
        opening = source.find("[", at)
        closing = source.find("]", at)
        if opening == -1:
            if closing != -1:
                raise refuse(_("paragraph {number} ({language}) has unbalanced square brackets"))
            segments.append(source[at:])
            break
        if closing != -1 and closing < opening:
            raise refuse(_("paragraph {number} ({language}) has unbalanced square brackets"))
        segments.append(source[at:opening])
        closing = source.find("]", opening + 1)
        if closing == -1:
            raise refuse(_("paragraph {number} ({language}) has unbalanced square brackets"))
        inner = source[opening + 1 : closing]
        if "[" in inner:
            raise refuse(_("paragraph {number} ({language}) has a bracket inside a bracket"))
        written = [
            split_holders(w) if holders else (w.strip(), frozenset[str]()) for w in inner.split("/")
        ]
        if len(written) == 1:
            written.append(("", frozenset()))
        wordings = [w for w, _h in written]
        if not any(wordings):
            raise refuse(_("paragraph {number} ({language}) has an empty bracket"))
        if len(set(wordings)) != len(wordings):
            raise refuse(
                _("paragraph {number} ({language}) has a bracket offering the same wording twice")
            )
        seen: set[str] = set()
        for _w, held in written:
            if seen & held:
                raise InvalidInput(
                    _(
                        "paragraph {number} ({language}): {state} holds two alternatives of "
                        "one bracket"
                    ),
                    number=number,
                    language=language.label,
                    state=min(seen & held),
                )
            seen |= held
        alternatives = tuple(Alternative(w, h) for w, h in written)
        segments.append(Bracket(next_id(), alternatives, kind))
        at = closing + 1
    return normalise_segments(segments)


def parse_text(
    en: Sequence[str],
    fr: Sequence[str] | None = None,
    *,
    revision: int = 0,
    kind: BracketKind = BracketKind.ALTERNATIVE,
    holders: bool = False,
) -> Text:
    """A text from its paragraphs in the notation; paragraphs get the ids ``p1``, ``p2``, …
    and brackets ``b1``, ``b2``, … in reading order.

    With ``fr``, the French versions are matched paragraph by paragraph and bracket by bracket
    (the k-th French bracket is the k-th English one, with as many alternatives), and every
    paragraph with both versions is taken as aligned. An empty French string means "not yet
    translated": that paragraph is not aligned.

    With ``holders``, alternatives may carry their holders (see the module's docstring). A
    French bracket written without any holders takes those of its English copy; one written
    with holders must name the same ones."""
    if fr is not None and len(fr) != len(en):
        raise InvalidInput(
            _("the French version has {fr} paragraphs and the English {en}"),
            fr=len(fr),
            en=len(en),
        )
    counter = 0

    def next_id() -> str:
        nonlocal counter
        counter += 1
        return f"b{counter}"

    paragraphs: list[Paragraph] = []
    for number, source in enumerate(en, start=1):
        if not source.strip():
            raise InvalidInput(_("paragraph {number} is empty"), number=number)
        en_segments = parse_paragraph(
            source, number=number, next_id=next_id, kind=kind, holders=holders
        )
        paragraph = Paragraph(f"p{number}", en_segments)
        french = fr[number - 1] if fr is not None else ""
        if french.strip():
            english = [s for s in en_segments if isinstance(s, Bracket)]
            ids = iter([b.id for b in english])
            matching = partial(next, ids, "unmatched")
            fr_segments = parse_paragraph(
                french,
                number=number,
                next_id=matching,
                kind=kind,
                language=Language.FR,
                holders=holders,
            )
            french_brackets = [s for s in fr_segments if isinstance(s, Bracket)]
            if len(french_brackets) != len(english) or any(
                len(f.alternatives) != len(e.alternatives)
                for f, e in zip(french_brackets, english, strict=True)
            ):
                raise InvalidInput(
                    _(
                        "paragraph {number}: the French brackets do not match the English ones "
                        "(as many brackets, with as many alternatives, in the same order)"
                    ),
                    number=number,
                )
            if holders:
                fr_segments = _french_holders(fr_segments, english, number)
            aligned = (digest(en_segments), digest(fr_segments))
            paragraph = Paragraph(paragraph.id, en_segments, fr_segments, aligned)
        paragraphs.append(paragraph)
    return Text(tuple(paragraphs), revision)


def _french_holders(
    segments: tuple[Segment, ...], english: Sequence[Bracket], number: int
) -> tuple[Segment, ...]:
    """The French segments with each bracket's holders taken from its English copy, when the
    French names none; a French copy naming holders must name the same."""
    by_id = {b.id: b for b in english}
    out: list[Segment] = []
    for s in segments:
        if isinstance(s, Bracket):
            model = by_id[s.id]
            if not s.holders:
                s = s.with_holders(a.holders for a in model.alternatives)
            elif s.standing != model.standing:
                raise InvalidInput(
                    _("paragraph {number}: the French holders differ from the English ones"),
                    number=number,
                )
        out.append(s)
    return tuple(out)


def render_paragraph(
    paragraph: Paragraph, language: Language = Language.EN, *, holders: bool = False
) -> str:
    """A paragraph's version in ``language`` in the notation, with holders when ``holders``."""
    return render_segments(paragraph.segments(language), holders=holders)


def render_text(
    text: Text, language: Language = Language.EN, *, holders: bool = False
) -> tuple[str, ...]:
    """Each paragraph's version in ``language`` in the notation (``""`` where it has none),
    with holders when ``holders``."""
    return tuple(render_segments(p.segments(language), holders=holders) for p in text.paragraphs)
