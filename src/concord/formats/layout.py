"""What every export shares: the document's particulars, the labels in each language, and a
paragraph cut into pieces (plain text, bracket marks, wordings, holders) for the writers to
style."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from concord.domain.negotiation import Bracket, Language, Segment, Text
from concord.domain.negotiation.notation import bracket_parts


@dataclass(frozen=True, slots=True)
class ExportMeta:
    """The particulars printed on an exported text."""

    reference: str  #: e.g. "PO(2026)0042-REV2"
    title: str
    marking: str  #: the banner on every page, e.g. "NATO RESTRICTED"
    body: str  #: the committee or council the text is before
    issued: str  #: a human date line, e.g. "Issued 3 March 2026"


class Piece(StrEnum):
    """The kinds of piece a paragraph is cut into."""

    PLAIN = "plain"  #: agreed wording outside any bracket
    MARK = "mark"  #: "[", " / " or "]"
    WORDING = "wording"  #: an alternative's wording
    HOLDERS = "holders"  #: the holders after a wording, e.g. " (DEU, FRA)"


_LABELS = {
    Language.EN: {"revision": "Revision {n}", "original": "Original", "page": "Page {n}"},
    Language.FR: {"revision": "Révision {n}", "original": "Original", "page": "Page {n}"},
}


def revision_line(meta: ExportMeta, text: Text, language: Language) -> str:
    """``"PO(2026)0042-REV2 — Revision 2"``: the reference and the revision."""
    labels = _LABELS[language]
    revision = labels["revision"].format(n=text.revision) if text.revision else labels["original"]
    return f"{meta.reference} — {revision}"


def page_label(language: Language, number: int) -> str:
    return _LABELS[language]["page"].format(n=number)


def bracket_pieces(bracket: Bracket) -> list[tuple[Piece, str]]:
    """A bracket as pieces, in the notation with holders: joined, they give
    ``render_bracket(bracket, holders=True)``."""
    out: list[tuple[Piece, str]] = [(Piece.MARK, "[")]
    for i, (wording, holders) in enumerate(bracket_parts(bracket, holders=True)):
        if i:
            out.append((Piece.MARK, " / "))
        if wording:
            out.append((Piece.WORDING, wording))
        if holders:
            out.append((Piece.HOLDERS, holders))
    out.append((Piece.MARK, "]"))
    return out


def pieces(segments: tuple[Segment, ...]) -> list[tuple[Piece, str]]:
    """A paragraph's version as pieces (see :func:`bracket_pieces`)."""
    out: list[tuple[Piece, str]] = []
    for segment in segments:
        if isinstance(segment, str):
            out.append((Piece.PLAIN, segment))
        else:
            out.extend(bracket_pieces(segment))
    return out


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value: str) -> str:
    """``value`` with the characters XML cannot carry replaced by ``?``."""
    return _NOT_XML.sub("?", value)
