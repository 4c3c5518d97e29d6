"""Registering documents under gap-free references, and issuing immutable revisions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace as dataclass_replace
from datetime import datetime

from django.db import transaction

from concord.alliance.models import Body, User
from concord.documents.models import Document, Paragraph, ReferenceCounter, Revision, Series
from concord.domain.alliance import SECRETARIAT, Role
from concord.domain.errors import InvalidInput, NotAllowed, NotFound, StaleVersion, _
from concord.domain.events import Tag
from concord.domain.markings import Classification
from concord.domain.negotiation import Language, parse_text, render
from concord.domain.negotiation import Paragraph as Paragraph_
from concord.domain.negotiation import Text as NegotiatedText
from concord.domain.negotiation.serial import paragraph_to_data
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


def _check_text(paragraphs: Text) -> NegotiatedText:
    """The paragraphs as given, in the bracket notation (``[a / b]``), as a negotiated text."""
    cleaned = [(en.strip(), (fr or "").strip()) for en, fr in paragraphs]
    if not cleaned:
        raise InvalidInput(_("a document needs at least one paragraph"))
    for i, (en, _fr) in enumerate(cleaned, start=1):
        if not en:
            raise InvalidInput(_("paragraph {number} is empty"), number=i)
    return parse_text([en for en, _ in cleaned], [fr for _, fr in cleaned])


def _counters(text: NegotiatedText) -> tuple[int, int]:
    """The highest numeric paragraph and bracket ids (``p7``, ``b12``) the text uses."""

    def number(identifier: str, prefix: str) -> int:
        tail = identifier[len(prefix) :]
        return int(tail) if identifier.startswith(prefix) and tail.isdecimal() else 0

    paragraphs = max((number(p.id, "p") for p in text.paragraphs), default=0)
    brackets = max((number(b.id, "b") for _p, b in text.brackets()), default=0)
    return paragraphs, brackets


def write_revision(
    document: Document,
    number: int,
    text: NegotiatedText,
    by: User,
    at: datetime,
    note: str,
    portions: dict[str, int | None] | None = None,
) -> Revision:
    """Write an immutable revision and its paragraphs (number, identity, wording in the
    notation, structure); ``portions`` carries paragraph markings over by identity."""
    revision = Revision.objects.create(
        document=document, number=number, note=note, created_by=by, created_at=at
    )
    portions = portions or {}
    Paragraph.objects.bulk_create(
        Paragraph(
            revision=revision,
            number=i,
            key=p.id,
            text=render(p.segments(Language.EN)),
            text_fr=render(p.segments(Language.FR)),
            structure=paragraph_to_data(p),
            classification=portions.get(p.id),
        )
        for i, p in enumerate(text.paragraphs, start=1)
    )
    return revision


def register(
    *,
    by: User,
    body: Body,
    series_code: str,
    title: str,
    paragraphs: Text | NegotiatedText,
    classification: Classification = Classification.UNCLASSIFIED,
    releasable_to: Iterable[str] = (),
    title_fr: str = "",
    now: datetime | None = None,
) -> Revision:
    """Register a new document and its original text (revision 0): paragraphs as (English,
    French) pairs in the bracket notation, or an already built negotiated text."""
    if by.role not in MAY_REGISTER:
        raise NotAllowed(_("{user} may not register documents"), user=by.username)
    if not title.strip():
        raise InvalidInput(_("a document needs a title"))
    if not valid_series(series_code):
        raise InvalidInput(_("{series!r} is not a series code"), series=series_code)
    text = paragraphs if isinstance(paragraphs, NegotiatedText) else _check_text(paragraphs)
    if not text.paragraphs:
        raise InvalidInput(_("a document needs at least one paragraph"))
    last_paragraph, last_bracket = _counters(text)
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
            last_paragraph=last_paragraph,
            last_bracket=last_bracket,
        )
        document.releasable_to.set(partners)
        revision = write_revision(document, 0, text, by, at, "original")
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
                "paragraphs": len(text.paragraphs),
                "brackets": len(text.brackets()),
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
    """Issue the next revision (``-REV1``, ``-REV2``, ...) with a wholly new text, as the
    secretariat re-issues a paper. Paragraphs keep the identities of those at the same place
    in the previous revision; brackets are new. Negotiated changes go through amendments
    (:mod:`concord.services.texts`)."""
    if by.role not in MAY_REGISTER:
        raise NotAllowed(_("{user} may not issue revisions"), user=by.username)
    parsed = _check_text(paragraphs)
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
        keys = list(last.paragraphs.values_list("key", flat=True)) if last else []
        text = _renumbered(locked, parsed, keys)
        revision = write_revision(locked, number, text, by, at, note)
        audit.append(
            actor=by.username,
            tag=Tag.DOCUMENT_REVISED,
            subject=f"document:{locked.reference}",
            payload={
                "reference": revision.reference,
                "note": note,
                "paragraphs": len(text.paragraphs),
            },
            at=at,
        )
    return revision


def with_fresh_ids(document: Document, paragraph: Paragraph_, key: str) -> Paragraph_:
    """``paragraph`` under the identity ``key``, its brackets given fresh ids from the
    document's counter (the caller holds the document's row lock and saves it)."""
    fresh: dict[str, str] = {}
    for b in paragraph.brackets():
        document.last_bracket += 1
        fresh[b.id] = f"b{document.last_bracket}"

    def renamed(segments):
        return tuple(
            s if isinstance(s, str) else dataclass_replace(s, id=fresh[s.id]) for s in segments
        )

    return dataclass_replace(paragraph, id=key, en=renamed(paragraph.en), fr=renamed(paragraph.fr))


def _renumbered(document: Document, text: NegotiatedText, keys: list[str]) -> NegotiatedText:
    """``text`` with paragraph ids taken from ``keys`` by place (fresh ones beyond) and fresh
    bracket ids; raises the document's counters (the caller holds its row lock)."""
    paragraphs = []
    for i, p in enumerate(text.paragraphs):
        if i < len(keys) and keys[i]:
            key = keys[i]
        else:
            document.last_paragraph += 1
            key = f"p{document.last_paragraph}"
        paragraphs.append(with_fresh_ids(document, p, key))
    document.save(update_fields=["last_paragraph", "last_bracket"])
    return NegotiatedText(tuple(paragraphs), text.revision)


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
