"""The REST API for the register of topics, consultations on request, national measures,
options papers and commitments: the same services and the same read side as the pages
(:mod:`concord.services.policy`), so what a token's owner may not see answers 404 and is absent
from lists; a read token changes nothing (403)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.responses import Status

from concord.alliance.models import Body, Format
from concord.api import schemas as s
from concord.api.routes import PageParams, _page, _write
from concord.api.texts import _file
from concord.domain.errors import InvalidInput, NotFound
from concord.policy.models import (
    Commitment,
    CommitmentReport,
    ConsultationRequest,
    MeasureNotification,
    OptionMark,
    OptionsPaper,
    ReportReview,
    Topic,
)
from concord.services import access, dashboards, policy

router = Router(tags=["policy"])

_READ = {404: s.Problem, 422: s.Problem}
_WRITE = {403: s.Problem, 404: s.Problem, 409: s.Problem, 422: s.Problem}
#: The days a dashboard may be asked for (the figures start in 1949).
FIRST_DAY, LAST_DAY = date(1949, 1, 1), date(2200, 12, 31)


def _state(request: HttpRequest, given: str | None) -> str:
    return (given or request.user.state_id or "").upper()


# -- topics -------------------------------------------------------------------------------------


def _topic(t: Topic) -> dict[str, Any]:
    return {
        "code": t.code,
        "title": t.title,
        "title_fr": t.title_fr,
        "threats": list(t.threats),
        "tracks": list(t.tracks),
        "dual_track": len(t.tracks) > 1,
        "body": t.body.code,
        "created_at": t.created_at,
    }


def _request(r: ConsultationRequest, code: str, meetings: set[int]) -> dict[str, Any]:
    return {
        "id": r.pk,
        "topic": code,
        "state": r.state_id,
        "grounds": r.grounds,
        "requested_at": r.requested_at,
        "convene_by": r.convene_by,
        "meeting": r.meeting_id if r.meeting_id in meetings else None,
        "closed_at": r.closed_at,
    }


def _measure(m: MeasureNotification, code: str) -> dict[str, Any]:
    return {
        "id": m.pk,
        "topic": code,
        "state": m.state_id,
        "description": m.description,
        "effective_on": m.effective_on,
        "notified_at": m.notified_at,
        "in_advance": m.effective_on >= m.notified_at.date(),
    }


def _commitment(c: Commitment) -> dict[str, Any]:
    return {
        "id": c.pk,
        "kind": c.kind,
        "title": c.title,
        "title_fr": c.title_fr,
        "due": c.due,
        "target": float(c.target) if c.target is not None else None,
        "states": list(c.states),
        "topic": c.topic.code if c.topic_id else None,
        "decision": c.decision.number if c.decision_id else None,
    }


def _topics(request: HttpRequest, threat: str | None, track: str | None) -> QuerySet[Topic]:
    qs = policy.topics(request.user)
    if threat:
        qs = qs.filter(threats__icontains=f'"{threat}"')
    if track:
        qs = qs.filter(tracks__icontains=f'"{track}"')
    return qs


@router.get("/topics", response=s.page_of(s.TopicOut))
def list_topics(
    request: HttpRequest,
    page: Query[PageParams],
    threat: s.Threat | None = None,
    track: s.TrackName | None = None,
):
    """The topics you may see, newest first; filter by ``threat`` and ``track``."""
    return _page(_topics(request, threat, track), page.cursor, page.limit, _topic)


@router.post("/topics", response={201: s.TopicOut, **_WRITE})
def register_topic(request: HttpRequest, data: s.TopicIn):
    """Register a topic (secretariat)."""
    _write(request)
    body = Body.objects.filter(code=data.body.strip().upper()).first()
    if body is None:
        raise NotFound("no body {body!r}", body=data.body)
    topic = policy.register_topic(
        by=request.user,
        code=data.code,
        title=data.title,
        title_fr=data.title_fr,
        threats=data.threats,
        tracks=data.tracks,
        body=body,
    )
    return Status(201, _topic(topic))


@router.get("/topics/{topic_code}", response={200: s.TopicDetailOut, **_READ})
def get_topic(request: HttpRequest, topic_code: str):
    """A topic with its requests for consultations, national measures, options papers and the
    commitments you may see."""
    t = policy.get_topic(topic_code, request.user)
    papers = OptionsPaper.objects.filter(topic=t).select_related("document__series")
    requests = list(ConsultationRequest.objects.filter(topic=t))
    # what the reader may see of the meetings and draft decisions these point at
    meetings = set(
        access.procedures(request.user)
        .filter(pk__in=[r.meeting_id for r in requests if r.meeting_id])
        .values_list("pk", flat=True)
    )
    drafts = set(
        access.documents(request.user)
        .filter(pk__in=[p.document_id for p in papers if p.document_id])
        .values_list("pk", flat=True)
    )
    return {
        **_topic(t),
        "requests": [_request(r, t.code, meetings) for r in requests],
        "measures": [_measure(m, t.code) for m in MeasureNotification.objects.filter(topic=t)],
        "papers": [
            {
                "id": p.pk,
                "title": p.title,
                "title_fr": p.title_fr,
                "document": str(p.document.reference) if p.document_id in drafts else None,
            }
            for p in papers
        ],
        "commitments": [
            _commitment(c)
            for c in policy.commitments(request.user)
            .filter(topic=t)
            .select_related("topic", "decision")
        ],
    }


@router.post("/topics/{topic_code}/consultations", response={201: s.ConsultationOut, **_WRITE})
def request_consultations(request: HttpRequest, topic_code: str, data: s.ConsultationIn):
    """Request consultations on the topic for your state: the topic's body is convened at once
    (a meeting item, every delegation told). ``format`` brings in the partners of one of the
    body's formats."""
    _write(request)
    t = policy.get_topic(topic_code, request.user)
    fmt = None
    if data.format:
        fmt = Format.objects.filter(body=t.body, code=data.format.strip().upper()).first()
        if fmt is None:
            raise NotFound("unknown format {format!r}", format=data.format)
    row = policy.request_consultations(
        by=request.user,
        topic=t,
        state=_state(request, data.state),
        grounds=data.grounds,
        format=fmt,
    )
    seen = set(
        access.procedures(request.user).filter(pk=row.meeting_id).values_list("pk", flat=True)
    )
    return Status(201, _request(row, t.code, seen))


@router.post("/topics/{topic_code}/measures", response={201: s.MeasureOut, **_WRITE})
def notify_measure(request: HttpRequest, topic_code: str, data: s.MeasureIn):
    """Notify a national measure your state takes on the topic."""
    _write(request)
    t = policy.get_topic(topic_code, request.user)
    row = policy.notify_measure(
        by=request.user,
        topic=t,
        state=_state(request, data.state),
        description=data.description,
        effective_on=data.effective_on,
    )
    return Status(201, _measure(row, t.code))


# -- options papers -----------------------------------------------------------------------------


@router.get("/options/{paper_id}", response={200: s.OptionsPaperOut, **_READ})
def get_options_paper(request: HttpRequest, paper_id: int):
    """An options paper with its analysis: every option with each state's latest mark, what
    every deciding state can live with, the nearest misses and the suggested packages."""
    paper = policy.get_paper(paper_id, request.user)
    data = policy.analysis(paper)
    if (
        paper.document_id
        and not access.documents(request.user).filter(pk=paper.document_id).exists()
    ):
        data["document"] = None  # a draft the reader may not open is not named either
    return data


@router.post("/options/{paper_id}/marks", response={201: s.MarkOut, **_WRITE})
def mark_option(request: HttpRequest, paper_id: int, data: s.MarkIn):
    """Mark an option for your state (the body's chair or secretary: for the ``state`` named):
    support, can_live_with, or cannot_accept with a reason."""
    _write(request)
    paper = policy.get_paper(paper_id, request.user)
    row: OptionMark = policy.mark_option(
        by=request.user,
        paper=paper,
        option=data.option,
        state=_state(request, data.state),
        mark=data.mark,
        reason=data.reason,
    )
    return Status(
        201,
        {
            "paper": paper.pk,
            "option": data.option,
            "state": row.state_id,
            "mark": row.mark,
            "reason": row.reason,
            "at": row.at,
        },
    )


@router.post("/options/{paper_id}/draft", response={201: s.DraftOut, **_WRITE})
def draft_decision(request: HttpRequest, paper_id: int, data: s.DraftIn):
    """Register a package (option numbers every deciding state can live with) as a draft
    decision in the topic's body (secretariat); in both languages when every French is there."""
    _write(request)
    paper = policy.get_paper(paper_id, request.user)
    revision = policy.draft_decision(by=request.user, paper=paper, options=data.options)
    document = revision.document
    return Status(
        201,
        {
            "reference": str(revision.reference),
            "title": document.title,
            "languages": ["en", "fr"] if document.title_fr else ["en"],
        },
    )


# -- commitments --------------------------------------------------------------------------------


def _day(on: date | None) -> date | None:
    if on is not None and not FIRST_DAY <= on <= LAST_DAY:
        raise HttpError(422, "the day must lie between 1949-01-01 and 2200-12-31")
    return on


def _review(v: ReportReview) -> dict[str, Any]:
    return {
        "report": v.report_id,
        "verdict": v.verdict,
        "note": v.note,
        "at": v.at,
        "by": v.by.username,
    }


def _report(r: CommitmentReport) -> dict[str, Any]:
    review = getattr(r, "review", None) if hasattr(r, "review") else None
    return {
        "id": r.pk,
        "state": r.state_id,
        "at": r.at,
        "year": r.year,
        "figure": float(r.figure) if r.figure is not None else None,
        "evidence": r.evidence,
        "delivered": r.delivered,
        "by": r.by.username,
        "review": _review(review) if review is not None else None,
    }


def _visible_commitment(request: HttpRequest, commitment_id: int) -> Commitment:
    found = (
        policy.commitments(request.user)
        .select_related("topic", "decision")
        .filter(pk=commitment_id)
        .first()
    )
    if found is None:
        raise NotFound("no commitment {number}", number=commitment_id)
    return found


@router.get("/commitments", response=s.page_of(s.CommitmentOut))
def list_commitments(
    request: HttpRequest,
    page: Query[PageParams],
    kind: s.CommitmentKind | None = None,
):
    """The commitments you may see, newest first."""
    qs = policy.commitments(request.user).select_related("topic", "decision")
    if kind:
        qs = qs.filter(kind=kind)
    return _page(qs, page.cursor, page.limit, _commitment)


@router.post("/commitments", response={201: s.CommitmentOut, **_WRITE})
def create_commitment(request: HttpRequest, data: s.CommitmentIn):
    """Create a commitment (secretariat): from a decision it binds the states the decision
    binds unless ``states`` names others; without one, ``states`` is required."""
    _write(request)
    decision = None
    if data.decision:
        decision = access.decisions(request.user).filter(number=data.decision.strip()).first()
        if decision is None:
            raise NotFound("no decision {number!r}", number=data.decision)
    row = policy.create_commitment(
        by=request.user,
        kind=data.kind,
        title=data.title,
        title_fr=data.title_fr,
        due=data.due,
        target=str(data.target) if data.target is not None else None,
        states=data.states,
        decision=decision,
        topic=policy.get_topic(data.topic, request.user) if data.topic else None,
    )
    found = policy.commitments(request.user).select_related("topic", "decision")
    return Status(201, _commitment(found.get(pk=row.pk)))


@router.get("/commitments/{commitment_id}", response={200: s.CommitmentDetailOut, **_READ})
def get_commitment(request: HttpRequest, commitment_id: int, on: date | None = None):
    """A commitment with its dashboard on ``on`` (default: today) and every report with its
    review."""
    c = _visible_commitment(request, commitment_id)
    data = policy.dashboard(c, on=_day(on))
    reports = (
        CommitmentReport.objects.filter(commitment=c)
        .select_related("review__by", "by")
        .order_by("at", "id")
    )
    return {
        **_commitment(c),
        "dashboard": {k: data[k] for k in ("on", "counts", "states", "years", "series")},
        "reports": [_report(r) for r in reports],
    }


@router.post("/commitments/{commitment_id}/reports", response={201: s.ReportOut, **_WRITE})
def report_progress(request: HttpRequest, commitment_id: int, data: s.ReportIn):
    """Report progress for your state (the secretariat: for the ``state`` named, recording what
    it submitted): evidence, and for spending the share of GDP and the year it is for."""
    _write(request)
    c = _visible_commitment(request, commitment_id)
    row = policy.report_progress(
        by=request.user,
        commitment=c,
        state=_state(request, data.state),
        evidence=data.evidence,
        figure=str(data.figure) if data.figure is not None else None,
        delivered=data.delivered,
        year=data.year,
    )
    return Status(201, _report(row))


@router.post(
    "/commitments/{commitment_id}/reports/{report_id}/review",
    response={201: s.ReviewOut, **_WRITE},
)
def review_report(request: HttpRequest, commitment_id: int, report_id: int, data: s.ReviewIn):
    """Accept a report, or query it saying what is missing (secretariat; once per report)."""
    _write(request)
    c = _visible_commitment(request, commitment_id)
    if not CommitmentReport.objects.filter(pk=report_id, commitment=c).exists():
        raise NotFound("no report {number}", number=report_id)
    review = policy.review_report(
        by=request.user, report_id=report_id, verdict=data.verdict, note=data.note
    )
    return Status(201, _review(review))


@router.get(
    "/commitments/{commitment_id}/export", response={200: None, 404: s.Problem, 422: s.Problem}
)
def export_dashboard(
    request: HttpRequest, commitment_id: int, format: str = "csv", on: date | None = None
):
    """The dashboard as ``csv`` (one line per bound state, one column per reported year) or
    ``pdf`` (the status table and a chart)."""
    c = _visible_commitment(request, commitment_id)
    if format not in dashboards.FORMATS:
        raise InvalidInput("export a dashboard as csv or pdf")
    return _file(dashboards.dashboard_export(c, format, on=_day(on)))
