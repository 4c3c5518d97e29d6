"""The plain bracketed notation, for importing drafts and showing a text as strings.

One string per paragraph. ``[a / b]`` is a bracket with the alternatives ``a`` and ``b`` (any
``/`` inside square brackets separates alternatives, and the spaces around each are dropped);
``[a]`` is one wording against deletion, i.e. the alternatives ``a`` and the empty wording. An
empty alternative elsewhere is written as nothing between separators: ``[a / b / ]``.

Rendering is the inverse for texts in canonical form (one space either side of each ``/``, no
spaces just inside the square brackets): ``render_text(parse_text(x)) == x``. Holders, kinds and
notes have no place in the notation; parsed brackets are held by nobody and of one kind.
"""

from __future__ import annotations

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


def parse_paragraph(
    source: str,
    *,
    number: int,
    next_id: Callable[[], str],
    kind: BracketKind = BracketKind.ALTERNATIVE,
    language: Language = Language.EN,
) -> tuple[Segment, ...]:
    """The segments of one paragraph in the notation; ``number`` names it in errors and
    ``next_id`` gives each bracket its id, left to right."""

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
        wordings = [w.strip() for w in inner.split("/")]
        if len(wordings) == 1:
            wordings.append("")
        if not any(wordings):
            raise refuse(_("paragraph {number} ({language}) has an empty bracket"))
        if len(set(wordings)) != len(wordings):
            raise refuse(
                _("paragraph {number} ({language}) has a bracket offering the same wording twice")
            )
        alternatives = tuple(Alternative(w) for w in wordings)
        segments.append(Bracket(next_id(), alternatives, kind))
        at = closing + 1
    return normalise_segments(segments)


def parse_text(
    en: Sequence[str],
    fr: Sequence[str] | None = None,
    *,
    revision: int = 0,
    kind: BracketKind = BracketKind.ALTERNATIVE,
) -> Text:
    """A text from its paragraphs in the notation; paragraphs get the ids ``p1``, ``p2``, …
    and brackets ``b1``, ``b2``, … in reading order.

    With ``fr``, the French versions are matched paragraph by paragraph and bracket by bracket
    (the k-th French bracket is the k-th English one, with as many alternatives), and every
    paragraph with both versions is taken as aligned. An empty French string means "not yet
    translated": that paragraph is not aligned."""
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
        en_segments = parse_paragraph(source, number=number, next_id=next_id, kind=kind)
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
            aligned = (digest(en_segments), digest(fr_segments))
            paragraph = Paragraph(paragraph.id, en_segments, fr_segments, aligned)
        paragraphs.append(paragraph)
    return Text(tuple(paragraphs), revision)


def render_paragraph(paragraph: Paragraph, language: Language = Language.EN) -> str:
    return render(paragraph.segments(language))


def render_text(text: Text, language: Language = Language.EN) -> tuple[str, ...]:
    """Each paragraph's version in ``language`` in the notation (``""`` where it has none)."""
    return tuple(render(p.segments(language)) for p in text.paragraphs)
