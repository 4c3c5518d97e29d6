"""The REST API for negotiating texts: the text with its brackets and holders, amendments and
the chair's decisions on them, holding alternatives, stances on paragraphs, alignment, rolling
revisions, diffs between revisions, and exports. The same services as the web pages."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import File, Form, Router, UploadedFile
from ninja.responses import Status

from concord.api import schemas as s
from concord.api.routes import _etag, _if_match, _visible_document, _write
from concord.documents.models import Amendment, Document
from concord.domain import negotiation as core
from concord.domain.errors import DomainError, InvalidInput, StaleVersion
from concord.domain.markings import Classification
from concord.domain.negotiation.serial import segments_to_data
from concord.services import access, common, exports
from concord.services import texts as service

router = Router(tags=["texts"])

_PROBLEMS = {403: s.Problem, 404: s.Problem, 409: s.Problem, 422: s.Problem}


def _amendment(
    a: Amendment, text: core.Text | None = None, visible: dict[str, bool] | None = None
) -> dict[str, Any]:
    """An amendment as data; the words and rationale of one to a paragraph the reader may not
    see (its portion marking is above them) are withheld, as the paragraph is."""
    out = service.describe(a, text)
    key = a.change.get("paragraph_id") or (a.change.get("paragraph") or {}).get("id")
    if visible is not None and not service.amendment_visible(a, visible):
        out.update(
            change={"op": a.change.get("op"), "paragraph_id": key, "withheld": True}, rationale=""
        )
    return out


def _latest(request: HttpRequest, d: Document) -> tuple[core.Text, dict[str, bool]]:
    """The latest revision's text as it stands (amendments give their paragraph's number in it)
    and which of its paragraphs the reader may see."""
    revision = d.revisions.order_by("-number").first()
    rows = list(revision.paragraphs.order_by("number"))
    return service.working_text(revision, rows), service.readable_keys(request.user, d)


def _text(request: HttpRequest, d: Document, number: int | None, held_by: str | None):
    snap = service.snapshot(request.user, d, number)
    text = snap.text
    holding = core.holding_out(text, snap.stances)
    latest = core.latest_positions(snap.stances)
    paragraphs = []
    for i, p in enumerate(text.paragraphs, start=1):
        visible = snap.visible.get(p.id, True)
        paragraphs.append(
            {
                "id": p.id,
                "number": i,
                "withheld": not visible,
                "en": core.render(p.en) if visible else "",
                "fr": core.render(p.fr) if visible else "",
                "segments_en": segments_to_data(p.en) if visible else [],
                "segments_fr": segments_to_data(p.fr) if visible else [],
                "aligned": not p.misaligned,
                "holding_out": list(holding.get(p.id, ())),
                "stances": {state: v.value for state, v in latest.get(p.id, {}).items()},
            }
        )
    try:
        core.check_ready_for_decision(text)
        blocker = ""
    except DomainError as exc:
        blocker = str(exc)
    return {
        "reference": snap.revision.reference,
        "revision": snap.revision.number,
        "latest": snap.latest,
        "ready_for_decision": not blocker,
        "blocker": blocker,
        "agreed_so_far": [
            p for p in core.agreed_so_far(text, snap.stances) if snap.visible.get(p, True)
        ],
        "paragraphs": paragraphs,
        "open_brackets": [
            {
                "bracket": b.bracket_id,
                "paragraph": b.paragraph_id,
                "number": b.number,
                "kind": b.kind.value,
                "note": b.note,
                "alternatives": [
                    {"en": a.en, "fr": a.fr, "holders": sorted(a.holders)} for a in b.alternatives
                ],
            }
            for b in snap.open_brackets(held_by=held_by.upper() if held_by else None)
        ],
        "amendments": [_amendment(a, text, snap.keys) for a in snap.amendments],
    }


@router.post(
    "/documents/import",
    response={201: s.NegotiationOut, 403: s.Problem, 404: s.Problem, 422: s.Problem},
)
def import_draft(
    request: HttpRequest,
    draft: File[UploadedFile],
    body: Form[str],
    series: Form[str],
    french: File[UploadedFile] | None = None,
    title: Form[str] = "",
    classification: Form[str] = "UNCLASSIFIED",
):
    """Register a Word draft (multipart: ``draft``, optional ``french``, ``body``,
    ``series``, ``title``, ``classification``): numbered paragraphs, ``[a / b]`` brackets with
    their holders. A file that cannot be read is refused naming the reason, and nothing is
    written."""
    _write(request)
    limit = 20 * 1024 * 1024
    for upload in (draft, french):
        if upload is not None and upload.size > limit:
            raise InvalidInput("the file is larger than 20 MB")
    try:
        level = Classification[classification.strip().upper()]
    except KeyError:
        raise InvalidInput("unknown classification {value!r}", value=classification) from None
    revision = exports.import_docx(
        by=request.user,
        body=common.body(body),
        series_code=series.strip().upper(),
        data=draft.read(),
        french=french.read() if french is not None else None,
        title=title,
        classification=level,
    )
    d, _rev = _visible_document(request, str(revision.document.reference))
    return Status(201, _text(request, d, None, None))


@router.get("/documents/{ref}/negotiation", response={200: s.NegotiationOut, 404: s.Problem})
def get_text(
    request: HttpRequest,
    ref: str,
    response: HttpResponse,
    revision: int | None = None,
    held_by: str | None = None,
):
    """The text with its brackets, who holds each alternative, stances on paragraphs, the
    amendments, and whether it is ready for a decision. ``held_by=FRA``: only the brackets
    where France holds an alternative ("my brackets")."""
    d, rev = _visible_document(request, ref)
    access.log_read(request.user, "api", f"document:{d.reference}", d.classification)
    response["ETag"] = _etag(d)
    return _text(request, d, revision if revision is not None else rev, held_by)


@router.get("/documents/{ref}/amendments", response={200: list[s.AmendmentOut], 404: s.Problem})
def list_amendments(request: HttpRequest, ref: str):
    d, _rev = _visible_document(request, ref)
    rows = d.amendments.select_related("proposed_by", "revision", "applied_in")
    text, visible = _latest(request, d)
    return [_amendment(a, text, visible) for a in rows]


@router.post(
    "/documents/{ref}/amendments", response={201: s.AmendmentOut, 412: s.Problem, **_PROBLEMS}
)
def propose_amendment(request: HttpRequest, ref: str, data: s.AmendmentIn):
    """Propose an amendment to the latest revision; ``new`` may carry brackets
    (``[our wording / their wording]``). With ``revision``, refused (412) if the text has
    moved on since."""
    _write(request)
    d, _rev = _visible_document(request, ref)
    a = service.propose(
        by=request.user,
        document=d,
        state=data.state,
        rationale=data.rationale,
        op=data.op,
        paragraph=data.paragraph,
        language=data.language,
        old=data.old,
        new=data.new,
        occurrence=data.occurrence,
        after=data.after,
        french=data.french,
        expected_revision=data.revision,
    )
    row = Amendment.objects.select_related("revision", "proposed_by").get(pk=a.pk)
    return Status(201, _amendment(row, *_latest(request, d)))


@router.post(
    "/documents/{ref}/amendments/{label}/decision", response={200: s.AmendmentOut, **_PROBLEMS}
)
def decide_amendment(request: HttpRequest, ref: str, label: str, data: s.AmendmentDecisionIn):
    """accept, reject or overtake (moot) — the chair; withdraw — the proposing delegation."""
    _write(request)
    d, _rev = _visible_document(request, ref)
    a = service.decide(by=request.user, document=d, label=label, action=data.action)
    row = Amendment.objects.select_related("revision", "proposed_by", "applied_in").get(pk=a.pk)
    return _amendment(row, *_latest(request, d))


@router.post(
    "/documents/{ref}/brackets/{bracket}/holders", response={200: s.NegotiationOut, **_PROBLEMS}
)
def hold_bracket(request: HttpRequest, ref: str, bracket: str, data: s.HoldIn):
    """Hold an alternative (counted from 1) of a bracket, or none (``alternative: null``)."""
    _write(request)
    d, _rev = _visible_document(request, ref)
    service.hold(
        by=request.user, document=d, bracket=bracket, alternative=data.alternative, state=data.state
    )
    return _text(request, d, None, None)


@router.post(
    "/documents/{ref}/paragraphs/{paragraph}/stance", response={200: s.NegotiationOut, **_PROBLEMS}
)
def record_stance(request: HttpRequest, ref: str, paragraph: str, data: s.StanceIn):
    _write(request)
    d, _rev = _visible_document(request, ref)
    service.record_stance(
        by=request.user, document=d, paragraph=paragraph, stance=data.stance, state=data.state
    )
    return _text(request, d, None, None)


@router.post(
    "/documents/{ref}/paragraphs/{paragraph}/alignment",
    response={200: s.NegotiationOut, **_PROBLEMS},
)
def align_paragraph(request: HttpRequest, ref: str, paragraph: str):
    """The language services confirm the English and French of a paragraph agree."""
    _write(request)
    d, _rev = _visible_document(request, ref)
    service.align(by=request.user, document=d, paragraph=paragraph)
    return _text(request, d, None, None)


@router.post(
    "/documents/{ref}/revisions",
    response={201: s.NegotiationOut, 412: s.Problem, 428: s.Problem, **_PROBLEMS},
)
def issue_revision(request: HttpRequest, ref: str, data: s.IssueIn, response: HttpResponse):
    """Issue the next revision: accepted amendments applied, ``cleaned`` brackets resolved
    (bracket id → alternative kept, counted from 1). Send ``If-Match`` with the ETag."""
    _write(request)
    d, _rev = _visible_document(request, ref)
    expected = _if_match(request, prefix=f"d{d.pk}-r")
    if expected is None:
        raise StaleVersion("the ETag does not belong to this document: reload it")
    service.issue(
        by=request.user,
        document=d,
        cleaned=data.cleaned,
        note=data.note,
        expected_revision=expected,
    )
    d, _rev = _visible_document(request, ref)
    response["ETag"] = _etag(d)
    return Status(201, _text(request, d, None, None))


@router.get("/documents/{ref}/diff", response={200: s.DiffOut, 404: s.Problem})
def diff_revisions(request: HttpRequest, ref: str, old: int, new: int):
    """Word-level differences between two revisions, paragraph by paragraph identity."""
    d, _rev = _visible_document(request, ref)
    result = service.compare(d, old, new)
    # a paragraph marked above the reader in any revision stays withheld in every comparison
    visible = service.readable_keys(request.user, d)
    access.log_read(request.user, "api", f"document:{d.reference}", d.classification)
    return {
        "old": result.old_revision,
        "new": result.new_revision,
        "paragraphs": [
            {
                "paragraph": x.paragraph_id,
                "change": x.change.value,
                "old_number": x.old_number,
                "new_number": x.new_number,
                "withheld": not visible.get(x.paragraph_id, True),
                "en": [{"kind": r.kind.value, "text": r.text} for r in x.en]
                if visible.get(x.paragraph_id, True)
                else [],
                "fr": [{"kind": r.kind.value, "text": r.text} for r in x.fr]
                if visible.get(x.paragraph_id, True)
                else [],
            }
            for x in result.paragraphs
        ],
    }


def _file(result: exports.Export) -> HttpResponse:
    response = HttpResponse(result.data, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response


@router.get("/documents/{ref}/export", response={200: None, 404: s.Problem, 422: s.Problem})
def export_document(
    request: HttpRequest,
    ref: str,
    format: str = "docx",
    language: str = "en",
    revision: int | None = None,
):
    """A revision as ``docx``, ``pdf`` or ``html`` (brackets highlighted, marking in header and
    footer)."""
    d, rev = _visible_document(request, ref)
    number = revision if revision is not None else rev
    revisions = d.revisions.order_by("number")
    chosen = revisions.last() if number is None else revisions.filter(number=number).first()
    if chosen is None:
        raise Http404("no such revision")
    return _file(exports.revision_export(request.user, chosen, format, language))


@router.get("/decisions/{number}/export", response={200: None, 404: s.Problem, 422: s.Problem})
def export_decision(request: HttpRequest, number: str, format: str = "pdf"):
    """A decision sheet as ``pdf`` or ``docx``."""
    decision = (
        access.decisions(request.user)
        .select_related("procedure__body", "procedure__revision__document__series")
        .filter(number=number)
        .first()
    )
    if decision is None:
        raise Http404("no such decision")
    return _file(exports.decision_export(request.user, decision, format))
