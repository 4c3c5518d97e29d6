"""Documents in and out of Concord: a Word draft registered as a negotiated text; a revision
as .docx, PDF or HTML; a decision sheet as PDF or .docx. What a reader may not see (portion
markings above their reach) is left out of what they download, as it is on the page; every
export of classified material is logged as a read. With no reader (``user=None``: the operator
on the command line) the whole text is exported, and logged under ``OPERATOR``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from concord.alliance.models import Body, User
from concord.documents.models import Document, Revision
from concord.domain import negotiation as core
from concord.domain.errors import InvalidInput, _
from concord.domain.markings import Classification
from concord.formats.decision_sheet import DecisionSheet, decision_docx, decision_pdf
from concord.formats.docx_in import read_docx
from concord.formats.docx_out import ExportMeta, write_docx
from concord.formats.html_out import write_html
from concord.formats.pdf_out import write_pdf
from concord.records.models import Decision
from concord.services import access, documents, labels, texts

FORMATS = ("docx", "pdf", "html")
SHEET_FORMATS = ("pdf", "docx")
WITHHELD = "(Paragraph withheld: its marking is above what you may read.)"
OPERATOR = "operator (command line)"

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


def _shown(user: User | None, document: Document, rows: list) -> dict[str, bool]:
    if user is None:
        return {row.key: True for row in rows}
    return {row.key: visible for row, visible in access.visible_paragraphs(user, document, rows)}


def _log(user: User | None, subject: str, level: int | None) -> None:
    access.log_read(user or _Operator(), "export", subject, level)


class _Operator:
    username = OPERATOR


def import_docx(
    *,
    by: User,
    body: Body,
    series_code: str,
    data: bytes,
    french: bytes | None = None,
    title: str = "",
    title_fr: str = "",
    classification: Classification = Classification.UNCLASSIFIED,
    releasable_to: Iterable[str] = (),
) -> Revision:
    """Register a Word draft: numbered paragraphs, square brackets as brackets with their
    ``/``-separated alternatives (and holders). A file that cannot be read, or a paragraph with
    unbalanced brackets, is refused with the paragraph named, and nothing is written."""
    imported = read_docx(data, french)
    chosen = title.strip() or (imported.title or "").strip()
    if not chosen:
        raise InvalidInput(_("the draft has no title: give one (its Title paragraph is empty)"))
    return documents.register(
        by=by,
        body=body,
        series_code=series_code,
        title=chosen,
        title_fr=title_fr,
        paragraphs=imported.text,
        classification=classification,
        releasable_to=releasable_to,
    )


def revision_export(
    user: User | None, revision: Revision, fmt: str, language: str = "en"
) -> Export:
    """A revision as it stands now (holders and alignment included) in ``fmt``."""
    if fmt not in FORMATS:
        raise InvalidInput(_("export as docx, pdf or html"))
    lang = _language(language)
    document: Document = revision.document
    rows = list(revision.paragraphs.order_by("number"))
    text = texts.working_text(revision, rows)
    shown = _shown(user, document, rows)
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
    _log(user, f"document:{revision.reference}", document.classification)
    name = revision.reference.replace("(", "_").replace(")", "_")
    suffix = "" if lang is core.Language.EN else "-fr"
    if fmt == "docx":
        data = write_docx(meta, text, lang)
    elif fmt == "pdf":
        data = write_pdf(meta, text, lang)
    else:
        data = write_html(meta, text, lang).encode("utf-8")
    return Export(f"{name}{suffix}.{fmt}", CONTENT_TYPES[fmt], data)


def sheet_of(user: User | None, decision: Decision) -> DecisionSheet:
    p = decision.procedure
    paragraphs: tuple[tuple[int, str], ...] = ()
    marking = "UNCLASSIFIED"
    title = p.title
    if p.revision is not None:
        document = p.revision.document
        marking = document.marking().banner
        rows = list(p.revision.paragraphs.order_by("number"))
        shown = _shown(user, document, rows)
        paragraphs = tuple(
            (row.number, row.text if shown.get(row.key, True) else WITHHELD) for row in rows
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


def decision_export(user: User | None, decision: Decision, fmt: str) -> Export:
    if fmt not in SHEET_FORMATS:
        raise InvalidInput(_("export a decision sheet as pdf or docx"))
    sheet = sheet_of(user, decision)
    p = decision.procedure
    level = p.revision.document.classification if p.revision else None
    _log(user, f"decision:{decision.number}", level)
    data = decision_pdf(sheet) if fmt == "pdf" else decision_docx(sheet)
    name = decision.number.replace("(", "_").replace(")", "_")
    return Export(f"{name}.{fmt}", CONTENT_TYPES[fmt], data)
