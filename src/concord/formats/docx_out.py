"""Writing a text as a Word (.docx) document that :func:`.docx_in.read_docx` reads back.

The title is in style "Title", the reference, revision, body and date lines in style
"Subtitle"; the marking is the header and the footer of every page. Each paragraph starts with
its number written out ("3. "; a paragraph with no version in the language is the number
alone, which reads back as "not yet translated"), and each bracket, its ``[``, `` / `` and ``]`` included, is
highlighted in yellow, its holders written after each alternative in the notation with holders
(smaller, in grey): ``[stronger wording (DEU, FRA) / weaker wording (TUR)]``.
"""

from __future__ import annotations

import io
from typing import Any

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.shared import Pt, RGBColor

from concord.domain.negotiation import Bracket, Language, Text
from concord.formats.layout import ExportMeta, Piece, bracket_pieces, revision_line, xml_safe

GREY = RGBColor(0x59, 0x59, 0x59)


def new_document(marking: str, title: str, language: Language = Language.EN) -> Any:
    """A document with the marking in the header and footer of every page and its title."""
    document = docx.Document()
    document.core_properties.title = xml_safe(title)
    document.core_properties.language = language.value
    section = document.sections[0]
    for part in (section.header, section.footer):
        banner = part.paragraphs[0]
        banner.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = banner.add_run(xml_safe(marking))
        run.bold = True
    document.add_paragraph(xml_safe(title), style="Title")
    return document


def to_bytes(document: Any) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def write_docx(meta: ExportMeta, text: Text, language: Language = Language.EN) -> bytes:
    """The text's version in ``language`` as a .docx document."""
    document = new_document(meta.marking, meta.title, language)
    for line in (revision_line(meta, text, language), meta.body, meta.issued):
        if line.strip():
            document.add_paragraph(xml_safe(line), style="Subtitle")
    for number, paragraph in enumerate(text.paragraphs, start=1):
        segments = paragraph.segments(language)
        p = document.add_paragraph()
        p.add_run(f"{number}. " if segments else f"{number}.")  # no wording: not translated
        for segment in segments:
            if isinstance(segment, str):
                p.add_run(xml_safe(segment))
            else:
                _bracket(p, segment)
    return to_bytes(document)


def _bracket(p: Any, bracket: Bracket) -> None:
    for piece, content in bracket_pieces(bracket):
        run = p.add_run(xml_safe(content))
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        if piece is Piece.HOLDERS:
            run.font.size = Pt(8)
            run.font.color.rgb = GREY
