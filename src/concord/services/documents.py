"""Registering documents under gap-free references, and issuing immutable revisions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction

from concord.alliance.models import Body, User
from concord.documents.models import Document, Paragraph, ReferenceCounter, Revision, Series
from concord.domain.alliance import SECRETARIAT, Role
from concord.domain.errors import InvalidInput, NotAllowed, NotFound, StaleVersion, _
from concord.domain.events import Tag
from concord.domain.markings import Classification
from concord.domain.references import Reference, valid_series
from concord.services import audit, common

MAY_REGISTER = SECRETARIAT | {Role.ADMINISTRATOR}

#: One paragraph as given: its English text and, optionally, its French text.
Text = Sequence[tuple[str, str]]


def allocate_number(series: Series, year: int) -> int:
    """The next number of ``series`` in ``year``. Runs in the caller's transaction and locks the
    counter row until it commits, so numbers are never skipped or given twice."""
    counter, _created = ReferenceCounter.objects.get_or_create(series=series, year=year)
    counter = ReferenceCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def _check_text(paragraphs: Text) -> list[tuple[str, str]]:
    cleaned = [(en.strip(), (fr or "").strip()) for en, fr in paragraphs]
    if not cleaned:
        raise InvalidInput(_("a document needs at least one paragraph"))
    for i, (en, _fr) in enumerate(cleaned, start=1):
        if not en:
            raise InvalidInput(_("paragraph {number} is empty"), number=i)
    return cleaned


def _write_revision(
    document: Document,
    number: int,
    paragraphs: list[tuple[str, str]],
    by: User,
    at: datetime,
    note: str,
) -> Revision:
    revision = Revision.objects.create(
        document=document, number=number, note=note, created_by=by, created_at=at
    )
    Paragraph.objects.bulk_create(
        Paragraph(revision=revision, number=i, text=en, text_fr=fr)
        for i, (en, fr) in enumerate(paragraphs, start=1)
    )
    return revision


def register(
    *,
    by: User,
    body: Body,
    series_code: str,
    title: str,
    paragraphs: Text,
    classification: Classification = Classification.UNCLASSIFIED,
    releasable_to: Iterable[str] = (),
    title_fr: str = "",
    now: datetime | None = None,
) -> Revision:
    """Register a new document and its original text (revision 0)."""
    if by.role not in MAY_REGISTER:
        raise NotAllowed(_("{user} may not register documents"), user=by.username)
    if not title.strip():
        raise InvalidInput(_("a document needs a title"))
    if not valid_series(series_code):
        raise InvalidInput(_("{series!r} is not a series code"), series=series_code)
    text = _check_text(paragraphs)
    partners = sorted({common.state(code).iso3 for code in releasable_to})
    with transaction.atomic():
        at = now or common.now()
        series, _created = Series.objects.get_or_create(
            code=series_code, defaults={"name": series_code}
        )
        number = allocate_number(series, at.year)
        document = Document.objects.create(
            series=series,
            year=at.year,
            number=number,
            title=title.strip(),
            title_fr=title_fr.strip(),
            classification=int(classification),
            body=body,
            created_by=by,
            created_at=at,
        )
        document.releasable_to.set(partners)
        revision = _write_revision(document, 0, text, by, at, "original")
        audit.append(
            actor=by.username,
            tag=Tag.DOCUMENT_REGISTERED,
            subject=f"document:{document.reference}",
            payload={
                "reference": str(document.reference),
                "title": document.title,
                "classification": Classification(classification).label,
                "releasable_to": partners,
                "body": body.code,
                "paragraphs": len(text),
            },
            at=at,
        )
    return revision


def revise(
    *,
    by: User,
    document: Document,
    paragraphs: Text,
    note: str = "",
    now: datetime | None = None,
    expected_revision: int | None = None,
) -> Revision:
    """Issue the next revision (``-REV1``, ``-REV2``, ...) with a new text."""
    if by.role not in MAY_REGISTER:
        raise NotAllowed(_("{user} may not issue revisions"), user=by.username)
    text = _check_text(paragraphs)
    with transaction.atomic():
        at = now or common.now()
        locked = Document.objects.select_for_update().get(pk=document.pk)
        last = locked.revisions.order_by("-number").first()
        if expected_revision is not None and (last.number if last else -1) != expected_revision:
            raise StaleVersion(
                _("{reference} has changed since revision {number}: reload it and try again"),
                reference=str(locked.reference),
                number=expected_revision,
            )
        number = (last.number + 1) if last else 0
        revision = _write_revision(locked, number, text, by, at, note)
        audit.append(
            actor=by.username,
            tag=Tag.DOCUMENT_REVISED,
            subject=f"document:{locked.reference}",
            payload={"reference": revision.reference, "note": note, "paragraphs": len(text)},
            at=at,
        )
    return revision


def revision_by_reference(text: str) -> Revision:
    """``PO(2026)0042`` gives the latest revision; ``PO(2026)0042-REV1`` that revision."""
    try:
        ref, rev = Reference.parse(text)
    except ValueError:
        raise InvalidInput(_("{text!r} is not a reference like PO(2026)0042"), text=text) from None
    qs = Revision.objects.select_related("document__series").filter(
        document__series__code=ref.series, document__year=ref.year, document__number=ref.number
    )
    revision = qs.filter(number=rev).first() if rev is not None else qs.order_by("-number").first()
    if revision is None:
        raise NotFound(_("no document {reference!r}"), reference=text)
    return revision
