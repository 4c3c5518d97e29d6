"""The text being negotiated: paragraphs with stable ids, plain wording and brackets, two languages.

A :class:`Text` is a tuple of :class:`Paragraph` values. A paragraph keeps its opaque ``id`` ("p7")
across every revision; its display number is its place in the text and may change. Each paragraph
has an English and a French version, each a tuple of *segments*: a plain ``str`` or a
:class:`Bracket`.

A bracket is a bilingual value. The same bracket id may appear once in each language version of
its paragraph; the two copies carry their own wording but must agree on everything else (kind,
note, holders of each alternative), and every operation that changes holders or cleans a bracket
changes both copies. A bracket id belongs to one paragraph only.

Square brackets and the notation's slash are reserved: plain text may not contain ``[`` or ``]``,
and an alternative's wording may contain none of ``[``, ``]`` and ``/`` (the notation separates
alternatives with ``/``). So a rendering with no bracket left never contains a square bracket.

Alignment: a paragraph keeps the digests (SHA-256 of the rendered wording) of both language
versions as they were when last aligned. It is *misaligned* when either version has changed since,
or when it was never aligned; :func:`align` marks the current versions as agreed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TypeAlias

from concord.domain.errors import InvalidInput, NotFound, _

_STATE_CODE = re.compile(r"[A-Z]{3}")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
#: Characters refused in plain text (they would read as brackets).
RESERVED_IN_TEXT = frozenset("[]")
#: Characters refused in an alternative's wording (the notation's brackets and separator).
RESERVED_IN_WORDING = frozenset("[]/")


class Language(StrEnum):
    EN = "en"
    FR = "fr"

    @property
    def label(self) -> str:
        return "English" if self is Language.EN else "French"


class BracketKind(StrEnum):
    ALTERNATIVE = "alternative"
    CONTENTIOUS = "contentious"
    TRADING = "trading"
    AWAITING_INSTRUCTIONS = "awaiting_instructions"


def check_state_code(code: str) -> str:
    """``code`` if it is an ISO 3166-1 alpha-3 code (three capital letters)."""
    if not _STATE_CODE.fullmatch(code):
        raise InvalidInput(_("{state!r} is not an ISO 3166 alpha-3 state code"), state=code)
    return code


def check_id(value: str, what: str) -> str:
    if not _ID.fullmatch(value):
        raise InvalidInput(
            _("{value!r} is not a valid {what} id (letters, digits, '_', '.', ':', '-')"),
            value=value,
            what=what,
        )
    return value


@dataclass(frozen=True, slots=True)
class Alternative:
    """One wording of a bracket and the states holding it. The empty wording is deletion."""

    wording: str
    holders: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.wording != self.wording.strip():
            raise InvalidInput(
                _("the wording {wording!r} has spaces at an end"), wording=self.wording
            )
        if not RESERVED_IN_WORDING.isdisjoint(self.wording):
            raise InvalidInput(
                _("the wording {wording!r} contains '[', ']' or '/'"), wording=self.wording
            )
        holders = frozenset(self.holders)
        for state in holders:
            check_state_code(state)
        object.__setattr__(self, "holders", holders)

    @property
    def deletion(self) -> bool:
        return not self.wording


@dataclass(frozen=True, slots=True)
class Bracket:
    """A span of a paragraph with two or more alternative wordings, one of which may be empty
    (one wording against deletion is ``(Alternative("wording"), Alternative(""))``).

    Wordings are distinct and a state holds at most one alternative of a bracket."""

    id: str
    alternatives: tuple[Alternative, ...]
    kind: BracketKind = BracketKind.ALTERNATIVE
    note: str = ""

    def __post_init__(self) -> None:
        check_id(self.id, "bracket")
        alternatives = tuple(self.alternatives)
        object.__setattr__(self, "alternatives", alternatives)
        object.__setattr__(self, "kind", BracketKind(self.kind))
        if len(alternatives) < 2:
            raise InvalidInput(
                _("bracket {bracket} needs two alternatives, or one against deletion"),
                bracket=self.id,
            )
        wordings = [a.wording for a in alternatives]
        if len(set(wordings)) != len(wordings):
            raise InvalidInput(
                _("bracket {bracket} offers the same wording twice"), bracket=self.id
            )
        seen: set[str] = set()
        for a in alternatives:
            twice = seen & a.holders
            if twice:
                raise InvalidInput(
                    _("{state} holds two alternatives of bracket {bracket}"),
                    state=min(twice),
                    bracket=self.id,
                )
            seen |= a.holders

    @property
    def holders(self) -> frozenset[str]:
        return frozenset().union(*(a.holders for a in self.alternatives))

    @property
    def standing(self) -> tuple[BracketKind, str, tuple[frozenset[str], ...]]:
        """What both language copies of a bracket must share: all but the wording."""
        return self.kind, self.note, tuple(a.holders for a in self.alternatives)

    def wordings(self) -> tuple[str, ...]:
        return tuple(a.wording for a in self.alternatives)

    def with_holders(self, holders: Iterable[frozenset[str]]) -> Bracket:
        alternatives = tuple(
            Alternative(a.wording, h) for a, h in zip(self.alternatives, holders, strict=True)
        )
        return replace(self, alternatives=alternatives)


#: A piece of a paragraph's wording: plain text or a bracket.
Segment: TypeAlias = str | Bracket


def normalise_segments(segments: Iterable[Segment]) -> tuple[Segment, ...]:
    """Adjacent plain pieces merged, empty ones dropped: one wording, one representation."""
    out: list[Segment] = []
    for segment in segments:
        if isinstance(segment, str):
            if not segment:
                continue
            if out and isinstance(out[-1], str):
                out[-1] = out[-1] + segment
                continue
        elif not isinstance(segment, Bracket):
            raise InvalidInput(_("a segment is plain text or a bracket"))
        out.append(segment)
    return tuple(out)


def render(segments: Iterable[Segment]) -> str:
    """The bracketed notation: plain text as is, a bracket as ``[alt1 / alt2]``; a bracket of one
    wording against deletion as ``[wording]``."""
    parts: list[str] = []
    for segment in segments:
        if isinstance(segment, str):
            parts.append(segment)
        else:
            parts.append(render_bracket(segment))
    return "".join(parts)


def render_bracket(bracket: Bracket) -> str:
    alternatives = bracket.alternatives
    if len(alternatives) == 2 and alternatives[1].deletion:
        return f"[{alternatives[0].wording}]"
    return "[" + " / ".join(a.wording for a in alternatives) + "]"


def digest(segments: Iterable[Segment]) -> str:
    """The SHA-256 of a language version's rendering: what alignment remembers."""
    return hashlib.sha256(render(segments).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph of the text: stable ``id``, English and French segments, and the digests of
    both versions when last aligned (``None``: never aligned)."""

    id: str
    en: tuple[Segment, ...]
    fr: tuple[Segment, ...] = ()
    aligned: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        check_id(self.id, "paragraph")
        en = normalise_segments(self.en)
        fr = normalise_segments(self.fr)
        object.__setattr__(self, "en", en)
        object.__setattr__(self, "fr", fr)
        if not en and not fr:
            raise InvalidInput(_("paragraph {paragraph} has no wording"), paragraph=self.id)
        copies: dict[str, Bracket] = {}
        for language, segments in ((Language.EN, en), (Language.FR, fr)):
            own: set[str] = set()
            for segment in segments:
                if isinstance(segment, str):
                    if not RESERVED_IN_TEXT.isdisjoint(segment):
                        raise InvalidInput(
                            _(
                                "paragraph {paragraph} has a square bracket in its plain text: "
                                "square brackets are reserved for brackets"
                            ),
                            paragraph=self.id,
                        )
                    continue
                if segment.id in own:
                    raise InvalidInput(
                        _(
                            "bracket {bracket} appears twice in the {language} of paragraph {paragraph}"
                        ),
                        bracket=segment.id,
                        language=language.label,
                        paragraph=self.id,
                    )
                own.add(segment.id)
                other = copies.setdefault(segment.id, segment)
                if other.standing != segment.standing:
                    raise InvalidInput(
                        _(
                            "the English and French copies of bracket {bracket} differ in kind, "
                            "note or holders"
                        ),
                        bracket=segment.id,
                    )

    def segments(self, language: Language) -> tuple[Segment, ...]:
        return self.en if language is Language.EN else self.fr

    def brackets(self) -> tuple[Bracket, ...]:
        """Each bracket once: the English copies in order, then any French-only ones."""
        found: dict[str, Bracket] = {}
        for segments in (self.en, self.fr):
            for s in segments:
                if isinstance(s, Bracket) and s.id not in found:
                    found[s.id] = s
        return tuple(found.values())

    def brackets_by_id(self) -> dict[str, Bracket]:
        return {b.id: b for b in self.brackets()}

    def bracket_copies(self, bracket_id: str) -> dict[Language, Bracket]:
        copies: dict[Language, Bracket] = {}
        for language in Language:
            for s in self.segments(language):
                if isinstance(s, Bracket) and s.id == bracket_id:
                    copies[language] = s
        return copies

    @property
    def bracketed(self) -> bool:
        return any(isinstance(s, Bracket) for s in self.en) or any(
            isinstance(s, Bracket) for s in self.fr
        )

    def digests(self) -> tuple[str, str]:
        return digest(self.en), digest(self.fr)

    def changed_since_aligned(self) -> tuple[Language, ...]:
        """The language versions changed since the paragraph was last aligned (all of them when
        it never was)."""
        if self.aligned is None:
            return tuple(Language)
        now = self.digests()
        return tuple(lang for lang, a, b in zip(Language, self.aligned, now, strict=True) if a != b)

    @property
    def misaligned(self) -> bool:
        return self.aligned != self.digests()

    def with_segments(self, language: Language, segments: Iterable[Segment]) -> Paragraph:
        if language is Language.EN:
            return replace(self, en=tuple(segments))
        return replace(self, fr=tuple(segments))


@dataclass(frozen=True, slots=True)
class Text:
    """One revision of a negotiated text: its paragraphs in order and its revision number
    (0 is the original, ``n`` is ``-REVn``). Paragraph and bracket ids are unique."""

    paragraphs: tuple[Paragraph, ...] = ()
    revision: int = 0

    def __post_init__(self) -> None:
        paragraphs = tuple(self.paragraphs)
        object.__setattr__(self, "paragraphs", paragraphs)
        if self.revision < 0:
            raise InvalidInput(_("a revision number is not negative"))
        ids: set[str] = set()
        brackets: dict[str, str] = {}
        for p in paragraphs:
            if p.id in ids:
                raise InvalidInput(_("paragraph id {paragraph} is used twice"), paragraph=p.id)
            ids.add(p.id)
            for segments in (p.en, p.fr):
                for s in segments:
                    if isinstance(s, Bracket) and brackets.setdefault(s.id, p.id) != p.id:
                        raise InvalidInput(
                            _("bracket {bracket} is in paragraphs {first} and {second}"),
                            bracket=s.id,
                            first=brackets[s.id],
                            second=p.id,
                        )

    def positions(self) -> dict[str, int]:
        """Paragraph id → index (0-based) in the text."""
        return {p.id: i for i, p in enumerate(self.paragraphs)}

    def numbers(self) -> dict[str, int]:
        """Paragraph id → display number (1-based)."""
        return {p.id: i for i, p in enumerate(self.paragraphs, start=1)}

    def paragraph(self, paragraph_id: str) -> Paragraph:
        for p in self.paragraphs:
            if p.id == paragraph_id:
                return p
        raise NotFound(_("paragraph {paragraph} is not in the text"), paragraph=paragraph_id)

    def number(self, paragraph_id: str) -> int:
        for i, p in enumerate(self.paragraphs, start=1):
            if p.id == paragraph_id:
                return i
        raise NotFound(_("paragraph {paragraph} is not in the text"), paragraph=paragraph_id)

    def locate_bracket(self, bracket_id: str) -> tuple[int, Bracket]:
        """The index of the paragraph holding a bracket, and the bracket (its English copy when
        it has one)."""
        for i, p in enumerate(self.paragraphs):
            for segments in (p.en, p.fr):
                for s in segments:
                    if isinstance(s, Bracket) and s.id == bracket_id:
                        return i, s
        raise NotFound(_("bracket {bracket} is not in the text"), bracket=bracket_id)

    def bracket_index(self) -> dict[str, int]:
        """Bracket id → index (0-based) of the paragraph holding it."""
        return {
            s.id: i
            for i, p in enumerate(self.paragraphs)
            if p.bracketed
            for segments in (p.en, p.fr)
            for s in segments
            if isinstance(s, Bracket)
        }

    def brackets(self) -> tuple[tuple[Paragraph, Bracket], ...]:
        return tuple((p, b) for p in self.paragraphs for b in p.brackets())

    def with_paragraph(self, index: int, paragraph: Paragraph) -> Text:
        paragraphs = list(self.paragraphs)
        paragraphs[index] = paragraph
        return replace(self, paragraphs=tuple(paragraphs))


# -- alignment --------------------------------------------------------------------------------


def misaligned(text: Text) -> tuple[str, ...]:
    """The ids of the paragraphs whose English and French versions are not (or no longer)
    aligned, in text order."""
    return tuple(p.id for p in text.paragraphs if p.misaligned)


def align(text: Text, paragraph_id: str) -> Text:
    """Mark both language versions of a paragraph, as they now stand, as agreed."""
    index = text.positions().get(paragraph_id)
    if index is None:
        raise NotFound(_("paragraph {paragraph} is not in the text"), paragraph=paragraph_id)
    p = text.paragraphs[index]
    for language in Language:
        if not p.segments(language):
            raise InvalidInput(
                _("paragraph {number} has no {language} version to align"),
                number=index + 1,
                language=language.label,
            )
    return text.with_paragraph(index, replace(p, aligned=p.digests()))


# -- holders ----------------------------------------------------------------------------------


def _rehold(text: Text, bracket_id: str, holders: Mapping[int, frozenset[str]]) -> Text:
    index, _bracket = text.locate_bracket(bracket_id)
    p = text.paragraphs[index]

    def reheld(segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
        return tuple(
            s.with_holders(holders.get(i, frozenset()) for i in range(len(s.alternatives)))
            if isinstance(s, Bracket) and s.id == bracket_id
            else s
            for s in segments
        )

    return text.with_paragraph(index, replace(p, en=reheld(p.en), fr=reheld(p.fr)))


def hold(text: Text, bracket_id: str, alternative: int, state: str) -> Text:
    """``state`` holds alternative ``alternative`` (0-based) of a bracket, and no other."""
    check_state_code(state)
    _index, bracket = text.locate_bracket(bracket_id)
    if not 0 <= alternative < len(bracket.alternatives):
        raise InvalidInput(
            _("bracket {bracket} has no alternative {number}"),
            bracket=bracket_id,
            number=alternative + 1,
        )
    holders = {
        i: (a.holders | {state} if i == alternative else a.holders - {state})
        for i, a in enumerate(bracket.alternatives)
    }
    return _rehold(text, bracket_id, holders)


def release(text: Text, bracket_id: str, state: str) -> Text:
    """``state`` no longer holds any alternative of a bracket."""
    check_state_code(state)
    _index, bracket = text.locate_bracket(bracket_id)
    holders = {i: a.holders - {state} for i, a in enumerate(bracket.alternatives)}
    return _rehold(text, bracket_id, holders)
