"""The negotiated text of a document: reading it with its brackets and who holds them, proposing
and deciding amendments, holding alternatives, stances on paragraphs, aligning the languages,
issuing a revision, comparing two revisions, and exporting. Every action goes through
:mod:`concord.services.texts`, which checks who may do it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from concord.alliance.models import State
from concord.documents.models import Document
from concord.domain import negotiation as core
from concord.domain.alliance import SPEAKS_FOR_STATE
from concord.domain.errors import DomainError, InvalidInput, NotAllowed
from concord.domain.references import Reference
from concord.records.models import AuditEvent
from concord.services import access, labels, security
from concord.services import texts as service
from concord.web import textrender

STANCES = [
    (core.ParagraphStance.CAN_AGREE.value, gettext_lazy("can agree")),
    (core.ParagraphStance.CANNOT_AGREE.value, gettext_lazy("cannot agree")),
    (core.ParagraphStance.AWAITING_INSTRUCTIONS.value, gettext_lazy("awaiting instructions")),
]


def visible_document(request: HttpRequest, ref: str) -> Document:
    """The document a reference (``PO(2026)0042``, with or without ``-REVn``) names, if the
    reader may see it; 404 otherwise, exactly as if it did not exist."""
    try:
        reference, _rev = Reference.parse(ref)
    except ValueError:
        raise Http404(_("No such document.")) from None
    document = (
        access.documents(request.user)
        .select_related("series", "body")
        .filter(series__code=reference.series, year=reference.year, number=reference.number)
        .first()
    )
    if document is None:
        raise Http404(_("No such document."))
    return document


def _revision_number(request: HttpRequest, ref: str) -> int | None:
    _reference, rev = Reference.parse(ref)
    value = request.GET.get("revision", "")
    if value.isdecimal() and len(value) <= 4:
        return int(value)
    return rev


def _context(request: HttpRequest, document: Document, number: int | None) -> dict[str, Any]:
    user = request.user
    snap = service.snapshot(user, document, number)
    own = user.state_id if user.role in SPEAKS_FOR_STATE else None
    mine_only = request.GET.get("mine") == "1" and own is not None
    text = snap.text
    held = holding = core.holding_out(text, snap.stances)
    latest = core.latest_positions(snap.stances)
    brackets_by_paragraph: dict[str, list[core.OpenBracket]] = {}
    open_brackets = snap.open_brackets(held_by=own if mine_only else None)
    for b in open_brackets:
        brackets_by_paragraph.setdefault(b.paragraph_id, []).append(b)
    rows = []
    for number_, (p, row) in enumerate(zip(text.paragraphs, snap.rows, strict=True), start=1):
        if mine_only and p.id not in brackets_by_paragraph:
            continue
        visible = snap.visible.get(p.id, True)
        rows.append(
            {
                "number": number_,
                "id": p.id,
                "visible": visible,
                "paragraph": p,
                "misaligned": p.misaligned,
                "changed": [lang.value for lang in p.changed_since_aligned()],
                "holding_out": holding.get(p.id, ()),
                "my_stance": latest.get(p.id, {}).get(own) if own else None,
                "brackets": brackets_by_paragraph.get(p.id, []),
                "portion": row.classification,
            }
        )
    agreed = core.agreed_so_far(text, snap.stances)
    try:
        core.check_ready_for_decision(text)
        blocker = ""
    except DomainError as exc:
        blocker = labels.error_text(exc)
    officer = service.is_officer(user, document)
    events = AuditEvent.objects.filter(subject=f"document:{document.reference}").order_by("-seq")
    last = events.values_list("seq", flat=True).first() or 0
    amendments = [
        {
            "a": a,
            "described": service.describe(a, text),
            "own": own == a.delegation_id,
            "withheld": not service.amendment_visible(a, snap.keys),
        }
        for a in snap.amendments
    ]
    shown = _int(request.GET.get("shown", ""))
    superseded = (
        document.reference.revision(shown)
        if snap.latest and shown is not None and shown < snap.revision.number
        else ""
    )
    urls = textrender.Urls(str(document.reference))
    csrf = get_token(request)
    return {
        "rows_html": textrender.paragraph_rows(
            rows,
            urls=urls,
            csrf=csrf,
            own=own,
            officer=officer,
            latest=snap.latest,
            mine_only=mine_only,
            stances=STANCES,
        ),
        "amendments_html": textrender.amendment_rows(
            amendments, urls=urls, csrf=csrf, officer=officer, latest=snap.latest
        ),
        "clean_html": textrender.clean_choices(open_brackets) if officer and snap.latest else "",
        "superseded": superseded,
        "document": document,
        "revision": snap.revision,
        "revisions": snap.revisions,
        "latest": snap.latest,
        "rows": rows,
        "open_brackets": open_brackets,
        "amendments": amendments,
        "pending": snap.pending(),
        "agreed": len(agreed),
        "total": len(text.paragraphs),
        "misaligned": len(core.misaligned(text)),
        "blocker": blocker,
        "officer": officer,
        "own": own,
        "speaks": own is not None or officer,
        "mine_only": mine_only,
        "held": held,
        "stances": STANCES,
        "marking": document.marking(),
        "last_seq": last,
        "live_topic": f"document:{document.reference}",
        "paragraph_choices": [(p.id, i) for i, p in enumerate(text.paragraphs, start=1)],
        "states": list(State.objects.order_by("iso3").values_list("iso3", flat=True))
        if officer
        else [],
    }


@login_required
def text(request: HttpRequest, ref: str) -> HttpResponse:
    document = visible_document(request, ref)
    access.log_read(request.user, "web", f"document:{document.reference}", document.classification)
    try:
        context = _context(request, document, _revision_number(request, ref))
    except DomainError as exc:
        raise Http404(labels.error_text(exc)) from None
    return render(request, "web/text.html", context)


@login_required
def text_fragment(request: HttpRequest, ref: str) -> HttpResponse:
    document = visible_document(request, ref)
    try:
        context = _context(request, document, _revision_number(request, ref))
    except DomainError as exc:
        raise Http404(labels.error_text(exc)) from None
    return render(request, "web/_text_live.html", context)


def _act(request: HttpRequest, ref: str, action, anchor: str = "text") -> HttpResponse:
    document = visible_document(request, ref)
    try:
        action(document)
    except NotAllowed as exc:
        security.refused(
            request.user,
            channel="web",
            subject=f"document:{document.reference}",
            reason=str(exc),
        )
        messages.error(request, labels.error_text(exc))
    except DomainError as exc:
        messages.error(request, labels.error_text(exc))
    else:
        messages.success(request, _("Done."))
    url = reverse("document-text", args=[str(document.reference)])
    if request.POST.get("mine") == "1":
        url += "?mine=1"
    return HttpResponseRedirect(f"{url}#{anchor}")


def _int(value: str, default: int | None = None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdecimal() and len(value) <= 6 else default


@login_required
@require_POST
def propose(request: HttpRequest, ref: str) -> HttpResponse:
    post = request.POST

    def go(document: Document) -> None:
        service.propose(
            by=request.user,
            document=document,
            state=post.get("state") or None,
            rationale=post.get("rationale", ""),
            op=post.get("op", ""),
            paragraph=post.get("paragraph", ""),
            language=post.get("language", "en"),
            old=post.get("old", "").strip(),
            new=post.get("new", "").strip(),
            occurrence=_int(post.get("occurrence", ""), 1) or 1,
            after=post.get("after") or None,
            french=post.get("french", ""),
            expected_revision=_int(post.get("revision", "")),
        )

    return _act(request, ref, go, "amendments")


@login_required
@require_POST
def decide(request: HttpRequest, ref: str, label: str, action: str) -> HttpResponse:
    return _act(
        request,
        ref,
        lambda d: service.decide(by=request.user, document=d, label=label, action=action),
        "amendments",
    )


@login_required
@require_POST
def hold(request: HttpRequest, ref: str, bracket: str) -> HttpResponse:
    choice = request.POST.get("alternative", "")

    def go(document: Document) -> None:
        if choice != "release" and _int(choice) is None:
            raise InvalidInput(_("choose an alternative"))
        service.hold(
            by=request.user,
            document=document,
            bracket=bracket,
            alternative=None if choice == "release" else _int(choice),
            state=request.POST.get("state") or None,
        )

    return _act(request, ref, go, f"bracket-{bracket}")


@login_required
@require_POST
def stance(request: HttpRequest, ref: str, paragraph: str) -> HttpResponse:
    return _act(
        request,
        ref,
        lambda d: service.record_stance(
            by=request.user,
            document=d,
            paragraph=paragraph,
            stance=request.POST.get("stance", ""),
            state=request.POST.get("state") or None,
        ),
        f"para-{paragraph}",
    )


@login_required
@require_POST
def align(request: HttpRequest, ref: str, paragraph: str) -> HttpResponse:
    return _act(
        request,
        ref,
        lambda d: service.align(by=request.user, document=d, paragraph=paragraph),
        f"para-{paragraph}",
    )


@login_required
@require_POST
def issue(request: HttpRequest, ref: str) -> HttpResponse:
    cleaned = {}
    for key, value in request.POST.items():
        if key.startswith("clean-") and _int(value):
            cleaned[key[len("clean-") :]] = _int(value)

    def go(document: Document) -> None:
        service.issue(
            by=request.user,
            document=document,
            cleaned=cleaned,
            note=request.POST.get("note", ""),
            expected_revision=_int(request.POST.get("revision", "")),
        )

    return _act(request, ref, go)


def _side(runs: tuple[core.Run, ...], keep: core.RunKind) -> list[dict[str, str]]:
    return [
        {"kind": r.kind.value, "text": r.text} for r in runs if r.kind in (core.RunKind.EQUAL, keep)
    ]


@login_required
def compare(request: HttpRequest, ref: str) -> HttpResponse:
    document = visible_document(request, ref)
    revisions = list(document.revisions.order_by("number"))
    last = revisions[-1].number
    old = _int(request.GET.get("from", ""), max(last - 1, 0))
    new = _int(request.GET.get("to", ""), last)
    try:
        result = service.compare(document, old or 0, new if new is not None else last)
    except DomainError as exc:
        raise Http404(labels.error_text(exc)) from None
    # a paragraph marked above the reader in any revision stays withheld in every comparison
    visible = service.readable_keys(request.user, document)
    access.log_read(request.user, "web", f"document:{document.reference}", document.classification)
    rows = [
        {
            "d": d,
            "visible": visible.get(d.paragraph_id, True),
            "en_old": _side(d.en, core.RunKind.DELETE),
            "en_new": _side(d.en, core.RunKind.INSERT),
            "fr_old": _side(d.fr, core.RunKind.DELETE),
            "fr_new": _side(d.fr, core.RunKind.INSERT),
        }
        for d in result.paragraphs
    ]
    return render(
        request,
        "web/compare.html",
        {
            "document": document,
            "revisions": revisions,
            "old": old,
            "new": new,
            "old_ref": document.reference.revision(old or 0),
            "new_ref": document.reference.revision(new if new is not None else last),
            "rows": rows,
            "marking": document.marking(),
        },
    )


def _download(export) -> HttpResponse:
    response = HttpResponse(export.data, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@login_required
def export(request: HttpRequest, ref: str, fmt: str) -> HttpResponse:
    from concord.services import exports

    document = visible_document(request, ref)
    number = _revision_number(request, ref)
    revisions = document.revisions.order_by("number")
    revision = revisions.last() if number is None else revisions.filter(number=number).first()
    if revision is None:
        raise Http404(_("No such revision."))
    try:
        result = exports.revision_export(
            request.user, revision, fmt, request.GET.get("language", "en")
        )
    except DomainError as exc:
        raise Http404(labels.error_text(exc)) from None
    return _download(result)


@login_required
def decision_export(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    from concord.services import exports

    decision = (
        access.decisions(request.user)
        .select_related("procedure__body", "procedure__revision__document__series")
        .filter(number=number)
        .first()
    )
    if decision is None:
        raise Http404(_("No such decision."))
    try:
        result = exports.decision_export(request.user, decision, fmt)
    except DomainError as exc:
        raise Http404(labels.error_text(exc)) from None
    return _download(result)
