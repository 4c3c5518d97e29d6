"""The pages delegations and the secretariat work in. Each view parses, calls services, renders;
every action's permission is checked by the service, server-side."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from concord.alliance.models import Body, Format, Membership, State
from concord.documents.models import Document, Revision
from concord.domain.alliance import SECRETARIAT as SECRETARIAT_ROLES
from concord.domain.alliance import MembershipKind, Role
from concord.domain.deadlines import deadline_text
from concord.domain.errors import DomainError, NotAllowed
from concord.domain.markings import Classification
from concord.domain.procedures import CAPITAL_ONLY, KIND_POSITIONS, Kind, PositionKind
from concord.domain.procedures import State as ProcedureState
from concord.domain.texts import search_words
from concord.notifications.models import Notification, Webhook
from concord.policy.models import ConsultationRequest, MeasureNotification
from concord.procedures.models import Procedure
from concord.records.models import AuditEvent
from concord.services import access, labels, notifications, policy, security, tokens
from concord.services import procedures as service

# -- shared pieces --------------------------------------------------------------------------------


def _zone(request: HttpRequest) -> str:
    return getattr(request.user, "time_zone", "") or "UTC"


def procedure_row(p: Procedure, ev, user_zone: str) -> dict[str, Any]:
    return {
        "p": p,
        "ev": ev,
        "state": ev.state.value,
        "state_label": labels.state_label(p.kind, ev),
        "deadline_seat": deadline_text(p.expires_at, p.body.seat_timezone),
        "deadline_mine": deadline_text(p.expires_at, user_zone)
        if user_zone != p.body.seat_timezone
        else "",
        "running": not ev.state.final,
    }


def _visible_procedure(request: HttpRequest, pk: int) -> Procedure:
    p = service.with_history(access.procedures(request.user).filter(pk=pk)).first()
    if p is None:
        raise Http404(_("No such procedure."))
    return p


def _states_by_code() -> dict[str, State]:
    return {s.iso3: s for s in State.objects.all()}


# -- home and desk --------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(reverse("desk"))


def _desk_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    now = timezone.now()
    zone = _zone(request)
    running = service.with_history(
        access.procedures(user).filter(
            state__in=[ProcedureState.OPEN, ProcedureState.AWAITING_CONFIRMATION]
        )
    ).order_by("expires_at")
    chaired = set(
        Body.objects.filter(Q(chair=user) | Q(secretary=user)).values_list("pk", flat=True)
    )
    mine, watching = [], []
    for p in running:
        ev = service.evaluate(p, now)
        if ev.state.final:
            continue
        row = procedure_row(p, ev, zone)
        part = ev.participants.get(user.state_id) if user.state_id else None
        needs = p.body_id in chaired
        if part is not None and user.role in (
            Role.DELEGATION_HEAD,
            Role.DELEGATION_DEPUTY,
            Role.PARTNER_DELEGATE,
        ):
            # A running silence concerns every deciding delegation until it expires; elsewhere a
            # delegation is needed until it has taken a position.
            needs = needs or p.kind == Kind.SILENCE or part.latest is None
        if part is not None and user.role == Role.CAPITAL_OFFICIAL:
            needs = (
                needs
                or part.pending_objection
                or (
                    part.latest is PositionKind.AD_REFERENDUM and part.stance.value == "outstanding"
                )
            )
        row["my_position"] = labels.position_label(part.latest) if part and part.latest else ""
        (mine if needs else watching).append(row)
    decisions = access.decisions(user).select_related("procedure__body")[:8]
    unread = notifications.unread(user).select_related("procedure")[:8]
    return {
        "mine": mine,
        "watching": watching,
        "decisions": decisions,
        "unread": unread,
        **_desk_policy(user, now),
    }


def _desk_policy(user, now) -> dict[str, Any]:
    """Open requests for consultations and national measures notified lately, on the topics
    the user may see: everyone hears of them before anyone acts alone."""
    visible = policy.topics(user).values("pk")
    consultations = (
        ConsultationRequest.objects.filter(closed_at__isnull=True, topic__in=visible)
        .select_related("topic", "meeting")
        .order_by("-requested_at")[:10]
    )
    measures = (
        MeasureNotification.objects.filter(
            topic__in=visible, notified_at__gte=now - timedelta(days=30)
        )
        .select_related("topic")
        .order_by("-notified_at")[:10]
    )
    return {"consultations": consultations, "measures": measures}


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    return render(request, "web/desk.html", _desk_context(request))


@login_required
def desk_fragment(request: HttpRequest) -> HttpResponse:
    return render(request, "web/_desk_live.html", _desk_context(request))


# -- bodies ---------------------------------------------------------------------------------------


@login_required
def body_list(request: HttpRequest) -> HttpResponse:
    bodies = (
        Body.objects.select_related("chair", "parent")
        .prefetch_related(Prefetch("formats", queryset=Format.objects.prefetch_related("partners")))
        .annotate(
            # only the running procedures this reader may see: a count is a leak too
            open_count=Count(
                "procedures",
                filter=Q(procedures__state=ProcedureState.OPEN)
                & Q(procedures__pk__in=access.procedures(request.user).values("pk")),
            )
        )
    )
    return render(request, "web/bodies.html", {"bodies": bodies})


@login_required
def body_detail(request: HttpRequest, code: str) -> HttpResponse:
    body = (
        Body.objects.select_related("chair", "secretary", "parent")
        .filter(code=code.upper())
        .first()
    )
    if body is None:
        raise Http404(_("No such body."))
    today = timezone.now().date()
    listed = set(body.member_states.values_list("iso3", flat=True))
    members = [
        m
        for m in Membership.objects.select_related("state").filter(kind=MembershipKind.MEMBER)
        if m.valid_on(today) and (not listed or m.state_id in listed)
    ]
    formats = body.formats.prefetch_related("partners")
    now = timezone.now()
    procedures = [
        procedure_row(p, service.evaluate(p, now), _zone(request))
        for p in service.with_history(access.procedures(request.user).filter(body=body))[:50]
    ]
    return render(
        request,
        "web/body.html",
        {
            "body": body,
            "members": members,
            "formats": formats,
            "rows": procedures,
            "rule": body.decision_rule(),
        },
    )


# -- documents ------------------------------------------------------------------------------------


@login_required
def document_list(request: HttpRequest) -> HttpResponse:
    docs = (
        access.documents(request.user)
        .select_related("series", "body")
        .prefetch_related("releasable_to")
    )
    q = request.GET.get("q", "").strip()
    if q:
        docs = docs.filter(Q(title__icontains=q) | Q(title_fr__icontains=q))
    page = Paginator(docs, 50).get_page(request.GET.get("page"))
    from concord.services.documents import MAY_REGISTER

    return render(
        request,
        "web/documents.html",
        {
            "page": page,
            "q": q,
            "may_register": request.user.role in MAY_REGISTER,
            "bodies": Body.objects.order_by("code") if request.user.role in MAY_REGISTER else [],
            "levels": [c.name for c in Classification],
        },
    )


#: The largest Word draft the upload form takes (the importer refuses more, too).
UPLOAD_LIMIT = 20 * 1024 * 1024


@login_required
@require_POST
def document_import(request: HttpRequest) -> HttpResponse:
    """Register a Word draft (and optionally its French version) as a negotiated text."""
    from concord.domain.errors import InvalidInput
    from concord.services import common, exports

    def read(name: str) -> bytes | None:
        upload = request.FILES.get(name)
        if upload is None:
            return None
        if upload.size > UPLOAD_LIMIT:
            raise InvalidInput(_("the file is larger than 20 MB"))
        return upload.read()

    try:
        data = read("draft")
        if data is None:
            raise InvalidInput(_("choose a .docx file"))
        try:
            level = Classification[request.POST.get("classification", "UNCLASSIFIED")]
        except KeyError:
            raise InvalidInput(_("unknown classification")) from None
        revision = exports.import_docx(
            by=request.user,
            body=common.body(request.POST.get("body", "")),
            series_code=request.POST.get("series", "").strip().upper(),
            data=data,
            french=read("french"),
            title=request.POST.get("title", ""),
            classification=level,
        )
    except NotAllowed as exc:
        security.refused(request.user, channel="web", subject="documents", reason=str(exc))
        messages.error(request, labels.error_text(exc))
    except DomainError as exc:
        messages.error(request, labels.error_text(exc))
    else:
        messages.success(
            request, _("Registered %(reference)s.") % {"reference": revision.reference}
        )
        return HttpResponseRedirect(reverse("document-text", args=[revision.reference]))
    return HttpResponseRedirect(reverse("documents") + "#import")


def _document_by_reference(request: HttpRequest, ref: str) -> tuple[Document, Revision]:
    from concord.domain.references import Reference
    from concord.web.texts import visible_document

    document = visible_document(request, ref)
    _reference, rev = Reference.parse(ref)
    revisions = list(document.revisions.order_by("number"))
    chosen = (
        next((r for r in revisions if r.number == rev), None) if rev is not None else revisions[-1]
    )
    if chosen is None:
        raise Http404(_("No such revision."))
    return document, chosen


@login_required
def document_detail(request: HttpRequest, ref: str) -> HttpResponse:
    document, revision = _document_by_reference(request, ref)
    access.log_read(request.user, "web", f"document:{revision.reference}", document.classification)
    now = timezone.now()
    rows = [
        procedure_row(p, service.evaluate(p, now), _zone(request))
        for p in service.with_history(
            access.procedures(request.user).filter(revision__document=document)
        )
    ]
    return render(
        request,
        "web/document.html",
        {
            "document": document,
            "revision": revision,
            "revisions": document.revisions.order_by("number"),
            "paragraphs": [
                {"p": para, "visible": visible}
                for para, visible in access.visible_paragraphs(
                    request.user, document, revision.paragraphs.all()
                )
            ],
            "marking": document.marking(),
            "rows": rows,
        },
    )


# -- procedures -----------------------------------------------------------------------------------


@login_required
def procedure_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    qs = access.procedures(request.user)
    state = request.GET.get("state", "")
    if state in ("open", "closed"):
        running = [ProcedureState.OPEN, ProcedureState.AWAITING_CONFIRMATION]
        qs = qs.filter(state__in=running) if state == "open" else qs.exclude(state__in=running)
    page = Paginator(service.with_history(qs), 50).get_page(request.GET.get("page"))
    rows = [procedure_row(p, service.evaluate(p, now), _zone(request)) for p in page]
    return render(request, "web/procedures.html", {"rows": rows, "page": page, "state": state})


class ExtendForm(forms.Form):
    expires = forms.DateTimeField(
        label=gettext_lazy("New expiry"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1}),
        input_formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"],
    )


def _actions(request: HttpRequest, p: Procedure, ev) -> dict[str, Any]:
    """What this user may do now; the services check again when they do it."""
    user = request.user
    if ev.state.final:
        return {}
    is_chair = p.body.chair_id == user.pk
    officer = is_chair or p.body.secretary_id == user.pk
    own = ev.participants.get(user.state_id) if user.state_id else None
    speaks = own is not None and user.role in (
        Role.DELEGATION_HEAD,
        Role.DELEGATION_DEPUTY,
        Role.CAPITAL_OFFICIAL,
        Role.PARTNER_DELEGATE,
    )
    kind = Kind(p.kind)
    allowed = [
        k
        for k in KIND_POSITIONS[kind]
        if k not in CAPITAL_ONLY and k is not PositionKind.FOOTNOTE_WITHDRAWN
    ]
    if not p.coalitions_within:
        allowed = [k for k in allowed if k is not PositionKind.STAND_ASIDE]
    open_for_positions = ev.state is ProcedureState.OPEN and not (
        kind is Kind.MEETING and p.concluded_at
    )
    capital = []
    if own is not None and user.role == Role.CAPITAL_OFFICIAL:
        if own.pending_objection and user.ministerial_authority:
            capital.append(PositionKind.COUNTERSIGNED)
        if own.latest is PositionKind.AD_REFERENDUM and own.stance.value == "outstanding":
            capital += [PositionKind.AD_REF_CONFIRMED, PositionKind.AD_REF_WITHDRAWN]
    return {
        "is_chair": is_chair,
        "break": speaks
        and kind is Kind.SILENCE
        and open_for_positions
        and own.stance.value != "object",
        "positions": [(k.value, labels.position_label(k)) for k in allowed]
        if open_for_positions
        and (speaks or (officer and kind is Kind.MEETING))
        and kind is not Kind.SILENCE
        else [],
        "record_for_states": officer and kind is Kind.MEETING and open_for_positions,
        "own_state": user.state_id if speaks else "",
        "capital": [(k.value, labels.position_label(k)) for k in capital],
        "conclude": is_chair and kind is Kind.MEETING and not p.concluded_at,
        "extend_form": ExtendForm() if is_chair else None,
    }


def _procedure_context(request: HttpRequest, p: Procedure) -> dict[str, Any]:
    now = timezone.now()
    ev = service.evaluate(p, now)
    states = _states_by_code()
    grid = [
        {
            "state": states[s],
            "stance": part.stance.value,
            "stance_label": labels.stance_label(part.stance),
            "latest": labels.position_label(part.latest) if part.latest else "",
            "pending": part.pending_objection,
        }
        for s, part in ev.participants.items()
    ]
    events = list(AuditEvent.objects.filter(subject=f"procedure:{p.pk}").order_by("seq"))
    return {
        "row": procedure_row(p, ev, _zone(request)),
        "p": p,
        "grid": grid,
        "positions": p.positions.all(),
        "events": [{"e": e, "label": labels.event_label(e.tag)} for e in events],
        "last_seq": events[-1].seq if events else 0,
        "actions": _actions(request, p, ev),
        "decision": getattr(p, "decision", None),
        "marking": p.revision.document.marking() if p.revision else None,
        "seat_zone": p.body.seat_timezone,
        "live_topic": f"procedure:{p.pk}",
        "states": [s for s in states.values() if s.iso3 in ev.participants],
    }


@login_required
def procedure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    p = _visible_procedure(request, pk)
    if p.revision is not None:
        access.log_read(
            request.user, "web", f"procedure:{p.pk}", p.revision.document.classification
        )
    return render(request, "web/procedure.html", _procedure_context(request, p))


@login_required
def procedure_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request,
        "web/_procedure_live.html",
        _procedure_context(request, _visible_procedure(request, pk)),
    )


def _act(request: HttpRequest, pk: int, action) -> HttpResponse:
    _visible_procedure(request, pk)
    try:
        action()
    except NotAllowed as exc:
        security.refused(request.user, channel="web", subject=f"procedure:{pk}", reason=str(exc))
        messages.error(request, labels.error_text(exc))
    except DomainError as exc:
        messages.error(request, labels.error_text(exc))
    else:
        messages.success(request, _("Done."))
    return HttpResponseRedirect(reverse("procedure-detail", args=[pk]) + "#actions")


@login_required
@require_POST
def procedure_break(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda: service.break_silence(
            procedure_id=pk,
            by=request.user,
            state=request.user.state_id or "",
            statement=request.POST.get("statement", ""),
            grounds="amendment" if request.POST.get("grounds") == "amendment" else "objection",
        ),
    )


@login_required
@require_POST
def procedure_position(request: HttpRequest, pk: int) -> HttpResponse:
    def go() -> None:
        try:
            kind = PositionKind(request.POST.get("kind", ""))
        except ValueError:
            from concord.domain.errors import InvalidInput

            raise InvalidInput(_("unknown position")) from None
        paragraph = request.POST.get("paragraph", "").strip()
        service.file_position(
            procedure_id=pk,
            by=request.user,
            state=request.POST.get("state") or request.user.state_id or "",
            kind=kind,
            statement=request.POST.get("statement", ""),
            paragraph=int(paragraph) if paragraph.isdecimal() and len(paragraph) <= 6 else None,
        )

    return _act(request, pk, go)


@login_required
@require_POST
def procedure_extend(request: HttpRequest, pk: int) -> HttpResponse:
    p = _visible_procedure(request, pk)
    form = ExtendForm(request.POST)

    def go() -> None:
        from concord.domain.errors import InvalidInput

        if not form.is_valid():
            raise InvalidInput(_("give the new expiry as a date and time"))
        local = form.cleaned_data["expires"].replace(tzinfo=None)
        expires = local.replace(tzinfo=ZoneInfo(p.body.seat_timezone))
        service.extend(procedure_id=pk, by=request.user, expires_at=expires)

    return _act(request, pk, go)


@login_required
@require_POST
def procedure_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda: service.withdraw(procedure_id=pk, by=request.user))


@login_required
@require_POST
def procedure_conclude(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda: service.conclude(procedure_id=pk, by=request.user))


# -- decisions ------------------------------------------------------------------------------------


@login_required
def decision_list(request: HttpRequest) -> HttpResponse:
    qs = access.decisions(request.user).select_related("procedure__body")
    q = request.GET.get("q", "").strip()
    for word in search_words(q).split():
        qs = qs.filter(search_text__contains=word)
    body = request.GET.get("body", "").strip().upper()
    if body:
        qs = qs.filter(procedure__body__code=body)
    year = request.GET.get("year", "").strip()
    if year.isdecimal() and 1 <= int(year) <= 9999:
        qs = qs.filter(adopted_at__year=int(year))
    kind = request.GET.get("kind", "")
    if kind in Kind.__members__.values() or kind in [k.value for k in Kind]:
        qs = qs.filter(procedure__kind=kind)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "web/decisions.html",
        {
            "page": page,
            "q": q,
            "body": body,
            "year": year,
            "kind": kind,
            "bodies": Body.objects.values_list("code", flat=True),
            "kinds": [(k.value, labels.kind_label(k)) for k in Kind],
        },
    )


@login_required
def decision_detail(request: HttpRequest, number: str) -> HttpResponse:
    decision = (
        access.decisions(request.user)
        .select_related("procedure__body", "procedure__revision__document__series")
        .filter(number=number)
        .first()
    )
    if decision is None:
        raise Http404(_("No such decision."))
    p = decision.procedure
    paragraphs = []
    if p.revision:
        access.log_read(
            request.user, "web", f"decision:{decision.number}", p.revision.document.classification
        )
        paragraphs = [
            {"p": para, "visible": visible}
            for para, visible in access.visible_paragraphs(
                request.user, p.revision.document, p.revision.paragraphs.all()
            )
        ]
    states = _states_by_code()
    return render(
        request,
        "web/decision.html",
        {
            "d": decision,
            "p": p,
            "paragraphs": paragraphs,
            "marking": p.revision.document.marking() if p.revision else None,
            "bound": [states[s] for s in decision.bound if s in states],
            "standing_aside": [states[s] for s in decision.standing_aside if s in states],
            "timeline": [
                {"t": t, "label": labels.event_label(t["tag"])} for t in decision.timeline
            ],
            "adopted_text": deadline_text(
                decision.adopted_at, p.body.seat_timezone, _zone(request)
            ),
            "commitments": _decision_commitments(request, decision),
            "may_commit": request.user.role in SECRETARIAT_ROLES,
        },
    )


def _decision_commitments(request: HttpRequest, decision: Any) -> list[Any]:
    from concord.services import policy

    return list(policy.commitments(request.user).filter(decision=decision).order_by("id"))


@login_required
@require_POST
def decision_commitment(request: HttpRequest, number: str) -> HttpResponse:
    """The secretariat creates a commitment that a decision asks of the states it binds."""
    from datetime import date as Date

    from concord.domain.errors import InvalidInput
    from concord.services import policy

    decision = access.decisions(request.user).filter(number=number).first()
    if decision is None:
        raise Http404(_("No such decision."))
    post = request.POST
    try:
        try:
            due = Date.fromisoformat(post.get("due", "").strip())
        except ValueError:
            raise InvalidInput(_("give the due date as a date (YYYY-MM-DD)")) from None
        row = policy.create_commitment(
            by=request.user,
            kind=post.get("kind", ""),
            title=post.get("title", ""),
            title_fr=post.get("title_fr", ""),
            due=due,
            target=post.get("target", "").strip() or None,
            decision=decision,
        )
    except NotAllowed as exc:
        security.refused(request.user, channel="web", subject=f"decision:{number}", reason=str(exc))
        messages.error(request, labels.error_text(exc))
    except DomainError as exc:
        messages.error(request, labels.error_text(exc))
    else:
        messages.success(request, _("Commitment created."))
        return HttpResponseRedirect(reverse("commitment-detail", args=[row.pk]))
    return HttpResponseRedirect(reverse("decision-detail", args=[number]) + "#commit")


# -- notifications and profile --------------------------------------------------------------------


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(
        Notification.objects.filter(user=request.user).select_related("procedure"), 50
    ).get_page(request.GET.get("page"))
    return render(request, "web/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    ids = request.POST.getlist("id")
    notifications.mark_read(request.user, [int(i) for i in ids if i.isdecimal()] if ids else None)
    return HttpResponseRedirect(request.POST.get("next") or reverse("notifications"))


COMMON_ZONES = sorted(
    z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV"))
)


class ProfileForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"), required=False)
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"), choices=[(z, z) for z in COMMON_ZONES]
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language"), choices=[("en", "English"), ("fr", "Français")]
    )
    email_notifications = forms.BooleanField(
        label=gettext_lazy("E-mail me what happens in my procedures"), required=False
    )
    email_reminders = forms.BooleanField(
        label=gettext_lazy("E-mail me reminders before deadlines"), required=False
    )


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {f: getattr(user, f) for f in ProfileForm.base_fields}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        for field, value in form.cleaned_data.items():
            setattr(user, field, value)
        user.save(update_fields=list(form.cleaned_data))
        response = HttpResponseRedirect(reverse("profile"))
        response.delete_cookie("django_language")
        messages.success(request, _("Your profile is saved."))
        return response
    return render(
        request,
        "web/profile.html",
        {
            "form": form,
            "calendar_url": notifications.calendar_url(user),
            "webhooks": Webhook.objects.filter(owner=user),
            "tokens": tokens.of(user),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def calendar_renew(request: HttpRequest) -> HttpResponse:
    notifications.calendar_token(request.user, renew=True)
    messages.success(request, _("Your calendar address is renewed; the old one no longer works."))
    return HttpResponseRedirect(reverse("profile") + "#calendar")


@login_required
@require_POST
def webhook_add(request: HttpRequest) -> HttpResponse:
    try:
        hook = notifications.add_webhook(request.user, request.POST.get("url", "").strip())
    except DomainError as exc:
        messages.error(request, labels.error_text(exc))
    else:
        messages.success(
            request, _("Webhook added. Its signing secret: %(secret)s") % {"secret": hook.secret}
        )
    return HttpResponseRedirect(reverse("profile") + "#webhooks")


@login_required
@require_POST
def token_add(request: HttpRequest) -> HttpResponse:
    days = request.POST.get("days", "90")
    try:
        plain, _token = tokens.create(
            user=request.user,
            scope=request.POST.get("scope", "read"),
            days=int(days) if days.isdecimal() else 0,
            name=request.POST.get("name", ""),
        )
    except DomainError as exc:
        messages.error(request, labels.error_text(exc))
    else:
        messages.success(
            request, _("Your new API token (shown only now): %(token)s") % {"token": plain}
        )
    return HttpResponseRedirect(reverse("profile") + "#tokens")


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        tokens.revoke(user=request.user, token_id=pk)
    except DomainError as exc:
        messages.error(request, labels.error_text(exc))
    return HttpResponseRedirect(reverse("profile") + "#tokens")


@login_required
@require_POST
def webhook_remove(request: HttpRequest, pk: int) -> HttpResponse:
    Webhook.objects.filter(owner=request.user, pk=pk).delete()
    return HttpResponseRedirect(reverse("profile") + "#webhooks")


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    from concord.web.calendar import feed

    return feed(token)
