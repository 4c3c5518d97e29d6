"""Documents and decision sheets out of Concord: a revision as .docx, PDF or HTML, a decision
sheet as PDF or .docx. What a reader may not see (portion markings above their reach) is left
out of what they download, as it is on the page; every export is logged as a read."""

from __future__ import annotations

from dataclasses import dataclass

from concord.alliance.models import User
from concord.documents.models import Document, Revision
from concord.domain import negotiation as core
from concord.domain.errors import InvalidInput, _
from concord.formats.decision_sheet import DecisionSheet, decision_docx, decision_pdf
from concord.formats.docx_out import ExportMeta, write_docx
from concord.formats.html_out import write_html
from concord.formats.pdf_out import write_pdf
from concord.records.models import Decision
from concord.services import access, labels, texts

FORMATS = ("docx", "pdf", "html")
SHEET_FORMATS = ("pdf", "docx")
WITHHELD = "(Paragraph withheld: its marking is above what you may read.)"

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
}


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    data: bytes


def _language(value: str) -> core.Language:
    try:
        return core.Language(value or "en")
    except ValueError:
        raise InvalidInput(_("the language is 'en' or 'fr'")) from None


def revision_export(user: User, revision: Revision, fmt: str, language: str = "en") -> Export:
    """A revision as it stands now (holders and alignment included) in ``fmt``."""
    if fmt not in FORMATS:
        raise InvalidInput(_("export as docx, pdf or html"))
    lang = _language(language)
    document: Document = revision.document
    rows = list(revision.paragraphs.order_by("number"))
    text = texts.working_text(revision, rows)
    shown = {row.key: visible for row, visible in access.visible_paragraphs(user, document, rows)}
    paragraphs = tuple(
        p if shown.get(p.id, True) else core.Paragraph(p.id, (WITHHELD,), (WITHHELD,))
        for p in text.paragraphs
    )
    text = core.Text(paragraphs, text.revision)
    title = document.title_fr if lang is core.Language.FR and document.title_fr else document.title
    meta = ExportMeta(
        reference=revision.reference,
        title=title,
        marking=document.marking().banner,
        body=document.body.name,
        issued=revision.created_at.strftime("%d %B %Y"),
    )
    access.log_read(user, "export", f"document:{revision.reference}", document.classification)
    name = revision.reference.replace("(", "_").replace(")", "_")
    suffix = "" if lang is core.Language.EN else "-fr"
    if fmt == "docx":
        data = write_docx(meta, text, lang)
    elif fmt == "pdf":
        data = write_pdf(meta, text, lang)
    else:
        data = write_html(meta, text, lang).encode("utf-8")
    return Export(f"{name}{suffix}.{fmt}", CONTENT_TYPES[fmt], data)


def sheet_of(user: User, decision: Decision) -> DecisionSheet:
    p = decision.procedure
    paragraphs: tuple[tuple[int, str], ...] = ()
    marking = "UNCLASSIFIED"
    title = p.title
    if p.revision is not None:
        document = p.revision.document
        marking = document.marking().banner
        paragraphs = tuple(
            (row.number, row.text if visible else WITHHELD)
            for row, visible in access.visible_paragraphs(
                user, document, list(p.revision.paragraphs.order_by("number"))
            )
        )
    else:
        paragraphs = ((1, p.title),)
    return DecisionSheet(
        reference=decision.number,
        title=title,
        body=p.body.name,
        marking=marking,
        adopted_at=decision.adopted_at.isoformat(timespec="seconds"),
        procedure=f"{p.get_kind_display()} {decision.reference}",
        sha256=decision.text_sha256,
        paragraphs=paragraphs,
        bound=tuple(decision.bound),
        standing_aside=tuple(decision.standing_aside),
        footnotes=tuple(
            (f["state"], f"§{f['paragraph']}: {f['text']}" if f.get("paragraph") else f["text"])
            for f in decision.footnotes
        ),
        statements=tuple((s["state"], s["text"]) for s in decision.statements),
        timeline=tuple(
            (t["at"], f"{labels.event_label(t['tag'])} ({t['actor']})") for t in decision.timeline
        ),
    )


def decision_export(user: User, decision: Decision, fmt: str) -> Export:
    if fmt not in SHEET_FORMATS:
        raise InvalidInput(_("export a decision sheet as pdf or docx"))
    sheet = sheet_of(user, decision)
    p = decision.procedure
    level = p.revision.document.classification if p.revision else None
    access.log_read(user, "export", f"decision:{decision.number}", level)
    data = decision_pdf(sheet) if fmt == "pdf" else decision_docx(sheet)
    name = decision.number.replace("(", "_").replace(")", "_")
    return Export(f"{name}.{fmt}", CONTENT_TYPES[fmt], data)
