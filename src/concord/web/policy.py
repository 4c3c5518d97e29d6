"""The register of topics, consultations on request, national measures, options papers and
commitments in the web application. Each view reads through the policy read side
(:mod:`concord.services.policy`: what a user may not see is a 404 and absent from lists), calls
one service for each action (which checks who may do it) and renders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from concord.alliance.models import Body, Format, State
from concord.domain import commitments as cc
from concord.domain.alliance import SECRETARIAT, SPEAKS_FOR_STATE, Role
from concord.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound
from concord.domain.topics import Instrument, Threat, Track
from concord.policy.models import (
    Commitment,
    CommitmentReport,
    ConsultationRequest,
    MeasureNotification,
    Option,
    OptionsPaper,
    Topic,
)
from concord.records.models import AuditEvent
from concord.services import access, dashboards, labels, policy, security
from concord.services import procedures as procedure_service
from concord.web import charts
from concord.web.texts import _download
from concord.web.views import procedure_row

MARKS = {
    "support": gettext_lazy("support"),
    "can_live_with": gettext_lazy("can live with"),
    "cannot_accept": gettext_lazy("cannot accept"),
}
STATUSES = {
    "delivered": gettext_lazy("delivered"),
    "due": gettext_lazy("due"),
    "off_track": gettext_lazy("off track"),
    "late": gettext_lazy("late"),
}
KINDS = {
    "spending": gettext_lazy("spending"),
    "standard": gettext_lazy("standard"),
    "capability": gettext_lazy("capability"),
}
VERDICTS = {"accepted": gettext_lazy("accepted"), "queried": gettext_lazy("queried")}
#: How far back the desk and a topic page count a national measure as recent.
RECENT_MEASURES = timedelta(days=30)


# -- shared pieces --------------------------------------------------------------------------------


def _french() -> bool:
    return (get_language() or "en").startswith("fr")


def _title(row: Any) -> str:
    return (getattr(row, "title_fr", "") if _french() else "") or row.title


def _label(kind: type, value: str) -> str:
    try:
        return _(kind(value).label)
    except ValueError:
        return value


def _threats(topic: Topic) -> list[str]:
    return [_label(Threat, t) for t in topic.threats]


def _tracks(topic: Topic) -> list[str]:
    return [_label(Track, t) for t in sorted(topic.tracks, key=list(Track).index)]


def _speaks(user: Any) -> bool:
    return user.role in SPEAKS_FOR_STATE and bool(user.state_id)


def _is_secretariat(user: Any) -> bool:
    return user.role in SECRETARIAT


def _names() -> dict[str, str]:
    field = "name_fr" if _french() else "name_en"
    return dict(State.objects.values_list("iso3", field))


def _int(value: str, limit: int = 10**9) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdecimal() and len(value) <= 9 and int(value) <= limit else None


def _date(value: str, what: str) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise InvalidInput(_("give the {what} as a date (YYYY-MM-DD)"), what=what) from None


def _act(
    request: HttpRequest, subject: str, action: Callable[[], Any], back: str, done: str = ""
) -> HttpResponse:
    """Run one service call: a refusal is shown (and a refusal for want of a role logged), and
    the user is sent back to the page. ``action`` may return a URL to go to instead."""
    try:
        target = action()
    except NotAllowed as exc:
        security.refused(request.user, channel="web", subject=subject, reason=str(exc))
        messages.error(request, labels.error_text(exc))
    except DomainError as exc:
        messages.error(request, labels.error_text(exc))
    else:
        messages.success(request, done or _("Done."))
        if isinstance(target, str):
            return HttpResponseRedirect(target)
    return HttpResponseRedirect(back)


def _last_seq(subject: str) -> int:
    return (
        AuditEvent.objects.filter(subject=subject).order_by("-seq").values_list("seq", flat=True)
    ).first() or 0


# -- topics ---------------------------------------------------------------------------------------


@login_required
def topic_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    qs = (
        policy.topics(user)
        .annotate(
            open_requests=Count(
                "requests", filter=Q(requests__closed_at__isnull=True), distinct=True
            ),
            paper_count=Count("papers", distinct=True),
        )
        .order_by("code")
    )
    threat = request.GET.get("threat", "")
    if threat in Threat.__members__.values() or threat in [t.value for t in Threat]:
        qs = qs.filter(threats__icontains=f'"{threat}"')
    else:
        threat = ""
    track = request.GET.get("track", "")
    if track in [t.value for t in Track]:
        qs = qs.filter(tracks__icontains=f'"{track}"')
    else:
        track = ""
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [
        {
            "t": t,
            "title": _title(t),
            "threats": _threats(t),
            "tracks": _tracks(t),
            "dual": len(t.tracks) > 1,
        }
        for t in page
    ]
    secretariat = _is_secretariat(user)
    return render(
        request,
        "web/topics.html",
        {
            "rows": rows,
            "page": page,
            "threat": threat,
            "track": track,
            "threats": [(t.value, _(t.label)) for t in Threat],
            "tracks": [(t.value, _(t.label)) for t in Track],
            "may_register": secretariat,
            "bodies": Body.objects.order_by("code") if secretariat else [],
        },
    )


@login_required
@require_POST
def topic_register(request: HttpRequest) -> HttpResponse:
    post = request.POST

    def go() -> str:
        body = Body.objects.filter(code=post.get("body", "").strip().upper()).first()
        if body is None:
            raise NotFound(_("choose the body that handles the topic"))
        topic = policy.register_topic(
            by=request.user,
            code=post.get("code", ""),
            title=post.get("title", ""),
            title_fr=post.get("title_fr", ""),
            threats=post.getlist("threats"),
            tracks=post.getlist("tracks"),
            body=body,
        )
        return reverse("topic-detail", args=[topic.code])

    return _act(request, "topics", go, reverse("topics") + "#register", _("Topic registered."))


def _visible_topic(request: HttpRequest, code: str) -> Topic:
    try:
        return policy.get_topic(code, request.user)
    except NotFound:
        raise Http404(_("No such topic.")) from None


def _topic_context(request: HttpRequest, topic: Topic) -> dict[str, Any]:
    user = request.user
    now = timezone.now()
    names = _names()
    requests = list(
        ConsultationRequest.objects.filter(topic=topic).select_related("meeting", "requested_by")
    )
    measures = list(MeasureNotification.objects.filter(topic=topic).select_related("notified_by"))
    papers = list(OptionsPaper.objects.filter(topic=topic).select_related("document__series"))
    options = list(Option.objects.filter(paper__topic=topic).order_by("paper_id", "number"))
    visible_docs = set(
        access.documents(user)
        .filter(pk__in=[p.document_id for p in papers if p.document_id])
        .values_list("pk", flat=True)
    )
    procedures = list(
        procedure_service.with_history(
            access.procedures(user).filter(
                Q(consultation_requests__topic=topic) | Q(revision__document__in=visible_docs)
            )
        )
        .distinct()
        .order_by("-opened_at")[:50]
    )
    shown_procedures = {p.pk for p in procedures}
    zone = getattr(user, "time_zone", "") or "UTC"
    rows = [procedure_row(p, procedure_service.evaluate(p, now), zone) for p in procedures]
    decisions = list(
        access.decisions(user)
        .filter(procedure__in=shown_procedures)
        .select_related("procedure__body")
        .order_by("-adopted_at")
    )
    body = topic.body
    officer = user.pk in (body.chair_id, body.secretary_id)
    tracks = [t for t in Track if t.value in topic.tracks]
    return {
        "topic": topic,
        "title": _title(topic),
        "threats": _threats(topic),
        "tracks": _tracks(topic),
        "dual": len(topic.tracks) > 1,
        "requests": [
            {
                "r": r,
                "state": names.get(r.state_id, r.state_id),
                "meeting": r.meeting if r.meeting_id in shown_procedures else None,
                "may_close": r.closed_at is None
                and (officer or (_speaks(user) and user.state_id == r.state_id)),
            }
            for r in requests
        ],
        "measures": [
            {
                "m": m,
                "state": names.get(m.state_id, m.state_id),
                "in_advance": m.effective_on >= m.notified_at.date(),
            }
            for m in measures
        ],
        "papers": [
            {
                "p": p,
                "title": _title(p),
                "document": p.document if p.document_id in visible_docs else None,
            }
            for p in papers
        ],
        "documents": [p.document for p in papers if p.document_id in visible_docs],
        "rows": rows,
        "decisions": decisions,
        "commitments": [
            {"c": c, "title": _title(c), "kind": KINDS.get(c.kind, c.kind)}
            for c in policy.commitments(user).filter(topic=topic)
        ],
        "columns": [
            {
                "track": t.value,
                "label": _(t.label),
                "options": [
                    {"o": o, "title": _title(o), "instrument": _label(Instrument, o.instrument)}
                    for o in options
                    if o.track == t.value
                ],
            }
            for t in tracks
        ],
        "live_topic": f"topic:{topic.code}",
    }


@login_required
def topic_detail(request: HttpRequest, code: str) -> HttpResponse:
    topic = _visible_topic(request, code)
    user = request.user
    context = _topic_context(request, topic)
    member = _speaks(user) and user.role != Role.PARTNER_DELEGATE
    context.update(
        last_seq=_last_seq(f"topic:{topic.code}"),
        may_request=member,
        may_notify=member,
        may_draft=_is_secretariat(user),
        formats=Format.objects.filter(body=topic.body).order_by("code") if member else [],
        today=timezone.now().date(),
    )
    return render(request, "web/topic.html", context)


@login_required
def topic_fragment(request: HttpRequest, code: str) -> HttpResponse:
    topic = _visible_topic(request, code)
    return render(request, "web/_topic_live.html", _topic_context(request, topic))


def _topic_action(request: HttpRequest, code: str, go: Callable[[Topic], Any], done: str):
    topic = _visible_topic(request, code)
    back = reverse("topic-detail", args=[topic.code])
    return _act(request, f"topic:{topic.code}", lambda: go(topic), back, done)


@login_required
@require_POST
def topic_consult(request: HttpRequest, code: str) -> HttpResponse:

    def go(topic: Topic) -> None:
        fmt = None
        chosen = request.POST.get("format", "").strip()
        if chosen:
            fmt = Format.objects.filter(body=topic.body, code=chosen.upper()).first()
            if fmt is None:
                raise NotFound(_("unknown format {format!r}"), format=chosen)
        policy.request_consultations(
            by=request.user,
            topic=topic,
            state=request.user.state_id or "",
            grounds=request.POST.get("grounds", ""),
            format=fmt,
        )

    return _topic_action(request, code, go, _("Consultations requested: the meeting is convened."))


@login_required
@require_POST
def topic_close(request: HttpRequest, code: str, pk: int) -> HttpResponse:

    def go(topic: Topic) -> None:
        if not ConsultationRequest.objects.filter(pk=pk, topic=topic).exists():
            raise NotFound(_("no request for consultations {number}"), number=pk)
        policy.close_consultation(by=request.user, request_id=pk)

    return _topic_action(request, code, go, _("The request is closed."))


@login_required
@require_POST
def topic_measure(request: HttpRequest, code: str) -> HttpResponse:

    def go(topic: Topic) -> None:
        policy.notify_measure(
            by=request.user,
            topic=topic,
            state=request.user.state_id or "",
            description=request.POST.get("description", ""),
            effective_on=_date(request.POST.get("effective_on", ""), _("day it takes effect")),
        )

    return _topic_action(request, code, go, _("The national measure is notified."))


@login_required
@require_POST
def topic_paper(request: HttpRequest, code: str) -> HttpResponse:

    def go(topic: Topic) -> str:
        paper = policy.create_paper(
            by=request.user,
            topic=topic,
            title=request.POST.get("title", ""),
            title_fr=request.POST.get("title_fr", ""),
        )
        return reverse("options-detail", args=[paper.pk])

    return _topic_action(request, code, go, _("Options paper started."))


# -- options papers -------------------------------------------------------------------------------


def _visible_paper(request: HttpRequest, pk: int) -> OptionsPaper:
    try:
        return policy.get_paper(pk, request.user)
    except NotFound:
        raise Http404(_("No such options paper.")) from None


def _chosen(request: HttpRequest) -> list[int]:
    picked = [_int(v, 32767) for v in request.GET.getlist("package")[:50]]
    return sorted({n for n in picked if n is not None})


def _options_context(request: HttpRequest, paper: OptionsPaper) -> dict[str, Any]:
    user = request.user
    data = policy.analysis(paper)
    names = _names()
    by_number = {o["number"]: o for o in data["options"]}
    agreeable = set(data["agreeable"])
    misses = {m["option"]: m for m in data["nearest_misses"]}

    def option(number: int) -> dict[str, Any]:
        o = by_number[number]
        return {
            "number": number,
            "title": (o["title_fr"] if _french() else "") or o["title"],
            "instrument": _label(Instrument, o["instrument"]),
            "instrument_key": o["instrument"],
            "track": _label(Track, o["track"]),
        }

    def who(states: list[str]) -> list[dict[str, str]]:
        return [{"code": s, "name": names.get(s, s)} for s in states]

    chosen = [n for n in _chosen(request) if n in by_number]
    verdict = None
    if chosen:
        blocked = [
            {
                **option(n),
                "cannot_accept": who(misses[n]["cannot_accept"]) if n in misses else [],
                "not_marked": who(misses[n]["not_marked"]) if n in misses else [],
            }
            for n in chosen
            if n not in agreeable
        ]
        covered = [
            _(i.label) for i in Instrument if any(by_number[n]["instrument"] == i for n in chosen)
        ]
        verdict = {
            "options": [option(n) for n in chosen],
            "agreeable": not blocked and bool(data["deciding"]),
            "blocked": blocked,
            "instruments": covered,
        }
    standing = []
    for o in data["options"]:
        refusing = [s for s, m in o["marks"].items() if m["mark"] == "cannot_accept"]
        standing.append(
            {
                **option(o["number"]),
                "support": o["support"],
                "can_live_with": o["can_live_with"],
                "cannot_accept": o["cannot_accept"],
                "not_marked": o["not_marked"],
                "refusing": ", ".join(s for s in refusing if s in data["deciding"]),
                "agreeable": o["number"] in agreeable,
            }
        )
    return {
        "paper": paper,
        # a draft decision the reader may not open is not named either
        "draft": paper.document
        if paper.document_id and access.documents(user).filter(pk=paper.document_id).exists()
        else None,
        "data": data,
        "agreeable": [option(n) for n in data["agreeable"]],
        "misses": [
            {
                **option(m["option"]),
                "cannot_accept": [
                    {"code": s, "name": names.get(s, s), "reason": m["reasons"].get(s, "")}
                    for s in m["cannot_accept"]
                ],
                "not_marked": who(m["not_marked"]),
                "in_the_way": len(m["cannot_accept"]) + len(m["not_marked"]),
            }
            for m in data["nearest_misses"]
        ],
        "packages": [
            {
                "options": [option(n) for n in p["options"]],
                "instruments": [_(i.label) for i in Instrument if i.value in p["instruments"]],
                "support": p["support"],
                "query": urlencode([("package", n) for n in p["options"]]),
            }
            for p in data["packages"]
        ],
        "verdict": verdict,
        "chosen": chosen,
        "standing": standing,
        "deciding_count": len(data["deciding"]),
        "may_draft": _is_secretariat(user),
        "live_topic": f"options:{paper.pk}",
        "query": urlencode([("package", n) for n in chosen]),
    }


@login_required
def options_detail(request: HttpRequest, pk: int) -> HttpResponse:
    paper = _visible_paper(request, pk)
    user = request.user
    context = _options_context(request, paper)
    data = context["data"]
    body = paper.topic.body
    officer = _is_secretariat(user) and user.pk in (body.chair_id, body.secretary_id)
    own = user.state_id if _speaks(user) and user.state_id in data["deciding"] else ""
    names = _names()
    groups = []
    for instrument in Instrument:
        members = [o for o in data["options"] if o["instrument"] == instrument.value]
        if not members:
            continue
        groups.append(
            {
                "label": _(instrument.label),
                "key": instrument.value,
                "options": [
                    {
                        "number": o["number"],
                        "title": (o["title_fr"] if _french() else "") or o["title"],
                        "track": _label(Track, o["track"]),
                        "cost_note": o["cost_note"],
                        "mine": o["marks"].get(own, {}) if own else {},
                        "mine_label": MARKS.get(o["marks"].get(own, {}).get("mark", ""), ""),
                    }
                    for o in members
                ],
            }
        )
    context.update(
        groups=groups,
        own_state=own,
        officer=officer,
        deciding_states=[(s, names.get(s, s)) for s in data["deciding"]] if officer else [],
        marks=list(MARKS.items()),
        may_mark=bool(own) or officer,
        all_options=[
            {
                "number": o["number"],
                "title": (o["title_fr"] if _french() else "") or o["title"],
                "checked": o["number"] in context["chosen"],
            }
            for o in data["options"]
        ],
        instruments=[(i.value, _(i.label)) for i in Instrument],
        paper_tracks=[(t.value, _(t.label)) for t in Track if t.value in paper.topic.tracks],
        topic_title=_title(paper.topic),
        paper_title=_title(paper),
        last_seq=_last_seq(f"options:{paper.pk}"),
    )
    return render(request, "web/options.html", context)


@login_required
def options_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    paper = _visible_paper(request, pk)
    return render(request, "web/_options_live.html", _options_context(request, paper))


def _options_action(request: HttpRequest, pk: int, go: Callable[[OptionsPaper], Any], done: str):
    paper = _visible_paper(request, pk)
    back = reverse("options-detail", args=[paper.pk])
    return _act(request, f"options:{paper.pk}", lambda: go(paper), back, done)


@login_required
@require_POST
def options_mark(request: HttpRequest, pk: int) -> HttpResponse:

    def go(paper: OptionsPaper) -> str:
        number = _int(request.POST.get("option", ""), 32767)
        if number is None:
            raise InvalidInput(_("choose an option"))
        user = request.user
        policy.mark_option(
            by=user,
            paper=paper,
            option=number,
            state=request.POST.get("state") or user.state_id or "",
            mark=request.POST.get("mark", ""),
            reason=request.POST.get("reason", ""),
        )
        return reverse("options-detail", args=[paper.pk]) + f"#option-{number}"

    return _options_action(request, pk, go, _("Mark recorded."))


@login_required
@require_POST
def options_add(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST

    def go(paper: OptionsPaper) -> None:
        policy.add_option(
            by=request.user,
            paper=paper,
            title=post.get("title", ""),
            title_fr=post.get("title_fr", ""),
            instrument=post.get("instrument", ""),
            track=post.get("track", ""),
            cost_note=post.get("cost_note", ""),
            cost_note_fr=post.get("cost_note_fr", ""),
        )

    return _options_action(request, pk, go, _("Option added."))


@login_required
@require_POST
def options_draft(request: HttpRequest, pk: int) -> HttpResponse:

    def go(paper: OptionsPaper) -> str:
        picked = [_int(v, 32767) for v in request.POST.getlist("options")[:50]]
        revision = policy.draft_decision(
            by=request.user, paper=paper, options=[n for n in picked if n is not None]
        )
        messages.info(request, _("Registered %(reference)s.") % {"reference": revision.reference})
        return reverse("document-text", args=[revision.reference])

    return _options_action(request, pk, go, _("The draft decision is registered."))


# -- commitments ----------------------------------------------------------------------------------


def _status_counts(rows: list[Commitment], today: date) -> dict[int, dict[str, int]]:
    """Per commitment, how many bound states are in each status today: one query for all."""
    reports: dict[int, list[CommitmentReport]] = {}
    for r in (
        CommitmentReport.objects.filter(commitment__in=rows)
        .select_related("review")
        .order_by("at", "id")
    ):
        reports.setdefault(r.commitment_id, []).append(r)
    out = {}
    for c in rows:
        core = c.to_domain()
        counted = policy._core_reports(reports.get(c.pk, []))
        counts = dict.fromkeys(STATUSES, 0)
        for state in core.states:
            counts[cc.standing(core, state, counted, today).status.value] += 1
        out[c.pk] = counts
    return out


@login_required
def commitment_list(request: HttpRequest) -> HttpResponse:
    qs = policy.commitments(request.user).select_related("topic", "decision").order_by("due", "id")
    kind = request.GET.get("kind", "")
    if kind in KINDS:
        qs = qs.filter(kind=kind)
    else:
        kind = ""
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = list(page)
    counts = _status_counts(rows, timezone.now().date())
    return render(
        request,
        "web/commitments.html",
        {
            "page": page,
            "kind": kind,
            "kinds": list(KINDS.items()),
            "statuses": list(STATUSES.items()),
            "rows": [
                {
                    "c": c,
                    "title": _title(c),
                    "kind": KINDS.get(c.kind, c.kind),
                    "bound": len(c.states),
                    "counts": [counts[c.pk][s] for s in STATUSES],
                    "topic_title": _title(c.topic) if c.topic_id else "",
                }
                for c in rows
            ],
        },
    )


def _visible_commitment(request: HttpRequest, pk: int) -> Commitment:
    try:
        return policy.get_commitment(pk, request.user)
    except NotFound:
        raise Http404(_("No such commitment.")) from None


def _commitment_context(request: HttpRequest, c: Commitment) -> dict[str, Any]:
    data = policy.dashboard(c)
    names = _names()
    spending = data["kind"] == "spending"
    title = _title(c)
    rows = [
        {**r, "name": names.get(r["state"], r["name"]), "status_label": STATUSES[r["status"]]}
        for r in data["states"]
    ]
    counts = [(key, str(label), data["counts"][key]) for key, label in STATUSES.items()]
    bound = len(rows)
    context: dict[str, Any] = {
        "c": c,
        "title": title,
        "kind": KINDS.get(c.kind, c.kind),
        "data": data,
        "rows": rows,
        "spending": spending,
        "counts": counts,
        "status_chart": charts.status_bars(
            counts,
            title=_("States by status: %(title)s") % {"title": title},
            description=", ".join(
                ngettext("%(count)d state %(status)s", "%(count)d states %(status)s", n)
                % {"count": n, "status": label}
                for _key, label, n in counts
            )
            + ".",
        ),
        "live_topic": f"commitment:{c.pk}",
    }
    if spending and data["target"] is not None:
        years = [int(y) for y in data["years"]]
        target = data["target"]
        baselines = {s: float(v) for s, v in c.baselines.items()}
        start = charts.year_fraction(c.baseline_on) if c.baseline_on else None
        panels = [
            charts.Panel(
                r["state"],
                r["name"],
                {int(y): v for y, v in data["series"].get(r["state"], {}).items()},
                (start, baselines[r["state"]])
                if start is not None and r["state"] in baselines
                else None,
            )
            for r in rows
        ]
        at_target = sum(1 for r in rows if r["figure"] is not None and r["figure"] >= target)
        context["chart"] = charts.spending_multiples(
            panels,
            target=target,
            due=c.due,
            title=_("Defence spending as a share of GDP against the %(target)s %% guideline")
            % {"target": f"{target:g}"},
            description=_(
                "One small chart per state (%(states)d): its share of GDP in each reported year "
                "(%(years)s), a dashed red line at the %(target)s %% guideline and a dotted line "
                "for the trajectory expected from its baseline. %(at)d of %(states)d states "
                "report a latest share at or above the guideline. The table below gives the "
                "same figures."
            )
            % {
                "states": bound,
                "years": ", ".join(map(str, years)) or _("none yet"),
                "target": f"{target:g}",
                "at": at_target,
            },
        )
        context["years"] = years
        context["table"] = [
            {
                "state": r["state"],
                "name": r["name"],
                "values": [data["series"].get(r["state"], {}).get(str(y)) for y in years],
            }
            for r in rows
        ]
    return context


@login_required
def commitment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    c = _visible_commitment(request, pk)
    user = request.user
    context = _commitment_context(request, c)
    secretariat = _is_secretariat(user)
    reports = list(
        CommitmentReport.objects.filter(commitment=c)
        .select_related("review", "by")
        .order_by("-at", "-id")[:100]
    )
    own = user.state_id if _speaks(user) and user.state_id in c.states else ""
    context.update(
        reports=[
            {
                "r": r,
                "review": getattr(r, "review", None) if hasattr(r, "review") else None,
                "verdict": VERDICTS.get(r.review.verdict, "") if hasattr(r, "review") else "",
            }
            for r in reports
        ],
        own_state=own,
        may_report=bool(own) or secretariat,
        report_states=[(s, context["rows"][i]["name"]) for i, s in enumerate(c.states)]
        if secretariat
        else [],
        may_review=secretariat,
        verdicts=list(VERDICTS.items()),
        this_year=timezone.now().year,
        last_seq=_last_seq(f"commitment:{c.pk}"),
        topic_title=_title(c.topic) if c.topic_id else "",
    )
    return render(request, "web/commitment.html", context)


@login_required
def commitment_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    c = _visible_commitment(request, pk)
    return render(request, "web/_commitment_live.html", _commitment_context(request, c))


def _commitment_action(request: HttpRequest, pk: int, go: Callable[[Commitment], Any], done: str):
    c = _visible_commitment(request, pk)
    back = reverse("commitment-detail", args=[c.pk])
    return _act(request, f"commitment:{c.pk}", lambda: go(c), back, done)


def _report_year(value: str) -> int | None:
    if not value:
        return None
    year = _int(value, 9999)
    if year is None:
        raise InvalidInput(_("a report's year is between 1900 and 2200"))
    return year


@login_required
@require_POST
def commitment_report(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST

    def go(c: Commitment) -> None:
        year = post.get("year", "").strip()
        policy.report_progress(
            by=request.user,
            commitment=c,
            state=post.get("state") or request.user.state_id or "",
            figure=post.get("figure", "").strip()[:20] or None,
            year=_report_year(year),
            evidence=post.get("evidence", ""),
            delivered=post.get("delivered") == "on",
        )

    return _commitment_action(request, pk, go, _("Report recorded."))


@login_required
@require_POST
def commitment_review(request: HttpRequest, pk: int, report: int) -> HttpResponse:

    def go(c: Commitment) -> str:
        if not CommitmentReport.objects.filter(pk=report, commitment=c).exists():
            raise NotFound(_("no report {number}"), number=report)
        policy.review_report(
            by=request.user,
            report_id=report,
            verdict=request.POST.get("verdict", ""),
            note=request.POST.get("note", ""),
        )
        return reverse("commitment-detail", args=[c.pk]) + "#reports"

    return _commitment_action(request, pk, go, _("Review recorded."))


@login_required
def commitment_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    c = _visible_commitment(request, pk)
    try:
        result = dashboards.dashboard_export(c, fmt)
    except DomainError:
        raise Http404(_("No such export.")) from None
    return _download(result)
