"""Writing a text as a PDF document (reportlab).

The marking is drawn at the top and the bottom of every page, with the reference and the page
number at the foot; paragraphs are numbered, brackets shaded in yellow with their holders after
each alternative in the notation with holders.

The PDF uses reportlab's built-in Helvetica, which covers the Windows-1252 character set only
(all of English and French): any other character is printed as its plain equivalent when it has
one (a narrow no-break space as a space, a ligature as its letters), else as ``?``, and so is any
control character, so that no input can make the export fail. The output is deterministic (no creation date or random id).
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer

from concord.domain.negotiation import Bracket, Language, Text
from concord.formats.layout import ExportMeta, Piece, bracket_pieces, page_label, revision_line

HIGHLIGHT = "#fff200"
GREY = "#595959"
FONT = "Helvetica"
BOLD = "Helvetica-Bold"
MONO = "Courier"


def printable(value: str) -> str:
    """``value`` as Helvetica can print it: a character outside Windows-1252 becomes its
    compatibility equivalent if that is inside (a narrow no-break space a space, a ligature its
    letters), else ``?``; a control character becomes ``?`` too (tabs and line breaks, a
    space)."""
    out = []
    for char in value:
        if char in "\t\n\r":
            out.append(" ")
            continue
        if not _cp1252(char):
            plain = _PLAIN.get(char) or unicodedata.normalize("NFKC", char)
            char = plain if _cp1252(plain) else "?"
        out.append("?" if unicodedata.category(char[0]) == "Cc" else char)
    return "".join(out)


_PLAIN = {"\u2010": "-", "\u2011": "-", "\u2212": "-"}


def _cp1252(value: str) -> bool:
    try:
        value.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def markup(value: str) -> str:
    """``value`` as printable text in reportlab's paragraph mini-markup."""
    return escape(printable(value))


def styles() -> dict[str, ParagraphStyle]:
    sample = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=sample["Title"], fontName=BOLD),
        "particulars": ParagraphStyle(
            "particulars", parent=sample["Normal"], fontName=FONT, alignment=1, spaceAfter=2
        ),
        "heading": ParagraphStyle(
            "heading", parent=sample["Heading2"], fontName=BOLD, spaceBefore=10
        ),
        "body": ParagraphStyle(
            "body", parent=sample["Normal"], fontName=FONT, fontSize=11, leading=15, spaceAfter=8
        ),
        "mono": ParagraphStyle("mono", parent=sample["Normal"], fontName=MONO, fontSize=8.5),
    }


def build(
    flowables: list[Flowable],
    *,
    title: str,
    marking: str,
    reference: str,
    language: Language = Language.EN,
    compress: bool = True,
) -> bytes:
    """The PDF of ``flowables``, with the marking at the top and the bottom of every page."""
    out = io.BytesIO()
    banner = printable(marking)
    foot = printable(reference)

    def on_page(canvas: Any, document: Any) -> None:
        width, height = A4
        canvas.saveState()
        canvas.setFont(BOLD, 10)
        canvas.drawCentredString(width / 2, height - 1.2 * cm, banner)
        canvas.drawCentredString(width / 2, 1.0 * cm, banner)
        canvas.setFont(FONT, 8)
        canvas.drawString(2 * cm, 1.6 * cm, foot)
        canvas.drawRightString(width - 2 * cm, 1.6 * cm, page_label(language, document.page))
        canvas.restoreState()

    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=2.2 * cm,
        rightMargin=2.2 * cm,
        topMargin=2.2 * cm,
        bottomMargin=2.4 * cm,
        title=printable(title),
        subject=banner,
        lang=language.value,
        invariant=1,
        pageCompression=1 if compress else 0,
    )
    hook: Callable[[Any, Any], None] = on_page
    document.build(flowables, onFirstPage=hook, onLaterPages=hook)
    return out.getvalue()


def bracket_markup(bracket: Bracket) -> str:
    parts = [f'<span backColor="{HIGHLIGHT}">']
    for piece, value in bracket_pieces(bracket):
        if piece is Piece.HOLDERS:
            parts.append(f'<font color="{GREY}" size="8">{markup(value)}</font>')
        else:
            parts.append(markup(value))
    parts.append("</span>")
    return "".join(parts)


def write_pdf(
    meta: ExportMeta, text: Text, language: Language = Language.EN, *, compress: bool = True
) -> bytes:
    """The text's version in ``language`` as a PDF document (``compress=False`` leaves the page
    streams readable, for tests)."""
    style = styles()
    flowables: list[Flowable] = [Paragraph(markup(meta.title), style["title"])]
    for line in (revision_line(meta, text, language), meta.body, meta.issued):
        if line.strip():
            flowables.append(Paragraph(markup(line), style["particulars"]))
    flowables.append(Spacer(1, 0.6 * cm))
    for number, paragraph in enumerate(text.paragraphs, start=1):
        segments = paragraph.segments(language)
        if not segments:
            continue
        parts = [f"<b>{number}.</b> "]
        for segment in segments:
            parts.append(markup(segment) if isinstance(segment, str) else bracket_markup(segment))
        flowables.append(Paragraph("".join(parts), style["body"]))
    return build(
        flowables,
        title=meta.title,
        marking=meta.marking,
        reference=meta.reference,
        language=language,
        compress=compress,
    )
