"""The decision sheet: the record of a decision taken, as PDF and as .docx.

It gives the reference, the body and the procedure, the adopted text with its SHA-256, who is
bound and who stands aside, footnotes and interpretative statements, and the timeline of the
procedure; the marking is at the top and the bottom of every page. Labels are in English.
"""

from __future__ import annotations

from dataclasses import dataclass

from docx.shared import Pt
from reportlab.lib.units import cm
from reportlab.platypus import Flowable, Paragraph, Spacer

from concord.formats import docx_out, pdf_out
from concord.formats.layout import xml_safe


@dataclass(frozen=True, slots=True)
class DecisionSheet:
    """What a decision sheet records."""

    reference: str  #: the sheet's own reference, e.g. "NAC-DS(2026)0003"
    title: str
    body: str
    marking: str
    adopted_at: str  #: a human date and time line
    procedure: str  #: e.g. "silence procedure PO(2026)0042-REV2"
    sha256: str  #: of the adopted text
    paragraphs: tuple[tuple[int, str], ...]  #: (number, text) of the adopted text
    bound: tuple[str, ...] = ()
    standing_aside: tuple[str, ...] = ()
    footnotes: tuple[tuple[str, str], ...] = ()  #: (state, text)
    statements: tuple[tuple[str, str], ...] = ()  #: (state, text)
    timeline: tuple[tuple[str, str], ...] = ()  #: (when, what)


NOBODY = "None."


def _particulars(sheet: DecisionSheet) -> list[str]:
    return [
        f"Reference: {sheet.reference}",
        f"Body: {sheet.body}",
        f"Procedure: {sheet.procedure}",
        f"Adopted: {sheet.adopted_at}",
    ]


def _states(states: tuple[str, ...]) -> str:
    return ", ".join(states) if states else NOBODY


def decision_pdf(sheet: DecisionSheet, *, compress: bool = True) -> bytes:
    """The decision sheet as a PDF document."""
    style = pdf_out.styles()
    markup = pdf_out.markup

    def heading(label: str) -> Paragraph:
        return Paragraph(markup(label), style["heading"])

    def body(value: str) -> Paragraph:
        return Paragraph(value, style["body"])

    flowables: list[Flowable] = [Paragraph(markup(sheet.title), style["title"])]
    flowables += [Paragraph(markup(line), style["particulars"]) for line in _particulars(sheet)]
    flowables.append(Spacer(1, 0.4 * cm))
    flowables.append(heading("Adopted text"))
    flowables += [body(f"<b>{n}.</b> {markup(t)}") for n, t in sheet.paragraphs]
    flowables.append(body("SHA-256 of the adopted text:"))
    flowables.append(Paragraph(markup(sheet.sha256), style["mono"]))
    flowables.append(heading("Bound by the decision"))
    flowables.append(body(markup(_states(sheet.bound))))
    flowables.append(heading("Standing aside"))
    flowables.append(body(markup(_states(sheet.standing_aside))))
    for label, entries in (("Footnotes", sheet.footnotes), ("Statements", sheet.statements)):
        flowables.append(heading(label))
        if not entries:
            flowables.append(body(NOBODY))
        flowables += [body(f"<b>{markup(state)}</b>: {markup(t)}") for state, t in entries]
    flowables.append(heading("Timeline"))
    flowables += [body(f"{markup(when)} — {markup(what)}") for when, what in sheet.timeline]
    return pdf_out.build(
        flowables,
        title=sheet.title,
        marking=sheet.marking,
        reference=sheet.reference,
        compress=compress,
    )


def decision_docx(sheet: DecisionSheet) -> bytes:
    """The decision sheet as a .docx document."""
    document = docx_out.new_document(sheet.marking, sheet.title)
    for line in _particulars(sheet):
        document.add_paragraph(xml_safe(line), style="Subtitle")

    def heading(label: str) -> None:
        document.add_heading(label, level=2)

    def entry(label: str, value: str) -> None:
        p = document.add_paragraph()
        p.add_run(xml_safe(label)).bold = True
        p.add_run(xml_safe(value))

    heading("Adopted text")
    for number, content in sheet.paragraphs:
        entry(f"{number}. ", content)
    p = document.add_paragraph("SHA-256 of the adopted text: ")
    run = p.add_run(xml_safe(sheet.sha256))
    run.font.name = "Courier New"
    run.font.size = Pt(9)
    heading("Bound by the decision")
    document.add_paragraph(xml_safe(_states(sheet.bound)))
    heading("Standing aside")
    document.add_paragraph(xml_safe(_states(sheet.standing_aside)))
    for label, entries in (("Footnotes", sheet.footnotes), ("Statements", sheet.statements)):
        heading(label)
        if not entries:
            document.add_paragraph(NOBODY)
        for state, content in entries:
            entry(f"{state}: ", content)
    heading("Timeline")
    for when, what in sheet.timeline:
        entry(f"{when} — ", what)
    return docx_out.to_bytes(document)
