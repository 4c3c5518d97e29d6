"""Topics, consultations on request, national measures, options papers and commitments.

Each change opens a transaction, locks what it changes, asks the core
(:mod:`concord.domain.topics`, :mod:`~concord.domain.options`, :mod:`~concord.domain.commitments`)
whether it is allowed, and writes the change with its audit event. A request for consultations
opens a meeting item in the topic's body through :func:`concord.services.procedures.open_procedure`,
so every delegation hears of it through the ordinary notification pipeline.

**Who may see what** (the read side; see ``docs/policy.md``): a topic, its requests, measures and
options papers are visible to the secretariat and auditors, to the nationals of a member state
that is a member of the topic's body (every ally when the body lists none), and to the nationals of
a partner that sits in one of that body's formats. A commitment is visible to those who may see its
topic; one without a topic to the secretariat, auditors and nationals of member states, and to a
partner's nationals only when it binds that partner. A draft decision made from a paper is an
ordinary document, read under the document policy.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from concord.alliance.models import Body, Format, Membership, State, User
from concord.documents.models import Revision
from concord.domain import commitments as cc
from concord.domain import options as oc
from concord.domain import topics as tc
from concord.domain.access import SERVES_EVERY_BODY
from concord.domain.alliance import SECRETARIAT, SPEAKS_FOR_STATE, Actor, Role, deciding_states
from concord.domain.audit import SYSTEM_WORKER
from concord.domain.canonical import format_instant
from concord.domain.errors import IllegalTransition, InvalidInput, NotAllowed, NotFound, _
from concord.domain.events import Tag
from concord.domain.procedures import Kind
from concord.notifications.models import Notification
from concord.policy.models import (
    Commitment,
    CommitmentReport,
    ConsultationRequest,
    MeasureNotification,
    Option,
    OptionMark,
    OptionsPaper,
    ReminderSent,
    ReportReview,
    Topic,
)
from concord.records.models import Decision
from concord.services import access, audit, common, documents, procedures

#: Who hears of a reminder about a commitment: the people who speak for the state.
REMINDED_ROLES = (
    Role.DELEGATION_HEAD,
    Role.DELEGATION_DEPUTY,
    Role.DELEGATION_ADVISER,
    Role.CAPITAL_OFFICIAL,
    Role.PARTNER_DELEGATE,
)
#: The series in which draft decisions made from options papers are registered.
DRAFT_SERIES = "PO"


def _at(now: datetime | None) -> datetime:
    return now or common.now()


def _check_secretariat(user: User, what: str) -> None:
    if user.role not in SECRETARIAT:
        raise NotAllowed(_("only the secretariat may {what}"), what=what)


def _memberships() -> list[Any]:
    return [m.to_domain() for m in Membership.objects.all()]


def _decimal(value: Any, what: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip().rstrip("%").strip())
    except InvalidOperation:
        raise InvalidInput(
            _("the {what} {value!r} is not a number"), what=what, value=value
        ) from None
    if not number.is_finite():
        raise InvalidInput(_("the {what} {value!r} is not a number"), what=what, value=value)
    return number


# -- reading, under the access policy -----------------------------------------------------------


def topic_filter(user: User, prefix: str = "") -> Q:
    """A filter on topics (``prefix`` leads to a topic from another model) that keeps those
    ``user`` may see."""
    f = (lambda name: f"{prefix}{name}") if prefix else (lambda name: name)
    reader = access.reader_of(user)
    if reader.role in SERVES_EVERY_BODY:
        return Q()
    body_ref = OuterRef(f("body_id"))
    if reader.state is not None and reader.state_is_member:
        restricted = Body.member_states.through.objects.filter(body_id=body_ref)
        member = Body.member_states.through.objects.filter(body_id=body_ref, state_id=reader.state)
        return ~Q(Exists(restricted)) | Q(Exists(member))
    if reader.state is not None and reader.state_is_partner:
        return Q(Exists(Format.objects.filter(body_id=body_ref, partners=reader.state)))
    return Q(pk__in=[])


def topics(user: User) -> QuerySet[Topic]:
    return Topic.objects.filter(topic_filter(user)).select_related("body")


def may_see_topic(user: User, topic: Topic) -> bool:
    return topics(user).filter(pk=topic.pk).exists()


def get_topic(code: str, user: User | None = None) -> Topic:
    """The topic with ``code``; with ``user``, only if they may see it (else: not found)."""
    qs = topics(user) if user is not None else Topic.objects.select_related("body")
    found = qs.filter(code=code.strip()).first()
    if found is None:
        raise NotFound(_("no topic {code!r}"), code=code)
    return found


def papers(user: User) -> QuerySet[OptionsPaper]:
    return OptionsPaper.objects.filter(topic_filter(user, "topic__")).select_related("topic")


def get_paper(paper_id: int, user: User | None = None) -> OptionsPaper:
    qs = papers(user) if user is not None else OptionsPaper.objects.select_related("topic")
    found = qs.select_related("topic__body").filter(pk=paper_id).first()
    if found is None:
        raise NotFound(_("no options paper {number}"), number=paper_id)
    return found


def commitments(user: User) -> QuerySet[Commitment]:
    reader = access.reader_of(user)
    if reader.role in SERVES_EVERY_BODY:
        return Commitment.objects.all()
    visible_topics = Topic.objects.filter(topic_filter(user)).values("pk")
    with_topic = Q(topic__in=visible_topics)
    # A commitment a decision created is seen only by those who may see the decision.
    decided = Q(decision__isnull=True) | Q(decision__in=access.decisions(user).values("pk"))
    if reader.state is not None and reader.state_is_member:
        return Commitment.objects.filter(with_topic | Q(topic__isnull=True)).filter(decided)
    if reader.state is not None and reader.state_is_partner:
        # A partner sees a commitment without a topic only when it is bound by it; the bound
        # states are a JSON list, matched as text (the codes are three capital letters).
        bound = Q(topic__isnull=True, states__icontains=f'"{reader.state}"')
        return Commitment.objects.filter(with_topic | bound).filter(decided)
    return Commitment.objects.none()


def get_commitment(commitment_id: int, user: User | None = None) -> Commitment:
    qs = commitments(user) if user is not None else Commitment.objects.all()
    found = qs.filter(pk=commitment_id).first()
    if found is None:
        raise NotFound(_("no commitment {number}"), number=commitment_id)
    return found


# -- the register of topics ---------------------------------------------------------------------


def register_topic(
    *,
    by: User,
    code: str,
    title: str,
    threats: Iterable[str],
    tracks: Iterable[str],
    body: Body,
    title_fr: str = "",
    now: datetime | None = None,
) -> Topic:
    """Register a topic the alliance follows (secretariat)."""
    _check_secretariat(by, "register topics")
    try:
        core = tc.Topic(
            code.strip(),
            title,
            frozenset(tc.Threat(t) for t in threats),
            frozenset(tc.Track(t) for t in tracks),
        )
    except ValueError as exc:
        raise InvalidInput(_("{error}"), error=str(exc)) from None
    with transaction.atomic():
        at = _at(now)
        if Topic.objects.filter(code=core.id).exists():
            raise InvalidInput(_("there is already a topic {code!r}"), code=core.id)
        topic = Topic.objects.create(
            code=core.id,
            title=core.title,
            title_fr=title_fr.strip(),
            threats=sorted(core.threats),
            tracks=sorted(core.tracks),
            body=body,
            created_by=by,
            created_at=at,
        )
        audit.append(
            actor=by.username,
            tag=Tag.TOPIC_REGISTERED,
            subject=f"topic:{topic.code}",
            payload={
                "topic": topic.code,
                "title": topic.title,
                "threats": topic.threats,
                "tracks": topic.tracks,
                "body": body.code,
            },
            at=at,
        )
    return topic


# -- consultations on request -------------------------------------------------------------------


def request_consultations(
    *,
    by: User,
    topic: Topic,
    state: str,
    grounds: str,
    format: Format | None = None,
    now: datetime | None = None,
) -> ConsultationRequest:
    """A member asks for consultations on ``topic``. The topic's body is convened at once: a
    meeting item titled after the request, opened by the body's chair and expiring at the latest
    instant the body's ``consultation_within`` allows. With ``format`` (one of the body's partner
    formats) the partners sitting in it take part and are told too."""
    code = common.state(state).iso3
    body = topic.body
    if body.chair_id is None:
        raise InvalidInput(_("{body} has no chair to convene it"), body=body.code)
    with transaction.atomic():
        at = _at(now)
        Topic.objects.select_for_update().get(pk=topic.pk)  # one request at a time per topic
        earlier = [
            r.to_domain()
            for r in ConsultationRequest.objects.filter(topic=topic, state_id=code).select_related(
                "topic"
            )
        ]
        request = tc.ConsultationRequest(code, topic.code, grounds.strip(), at)
        tc.check_request(request, actor=by.to_actor(), memberships=_memberships(), requests=earlier)
        deadline = tc.convene_by(at, body.consultation_within)
        row = ConsultationRequest.objects.create(
            topic=topic,
            state_id=code,
            grounds=request.grounds,
            requested_at=at,
            requested_by=by,
            convene_by=deadline,
        )
        event = audit.append(
            actor=by.username,
            tag=Tag.CONSULTATION_REQUESTED,
            subject=f"topic:{topic.code}",
            payload={
                "request": row.pk,
                "topic": topic.code,
                "state": code,
                "grounds": row.grounds,
                "convene_by": deadline,
            },
            at=at,
        )
        chair = User.objects.get(pk=body.chair_id)
        meeting = procedures.open_procedure(
            by=chair,
            kind=Kind.MEETING,
            body=body,
            expires_at=deadline,
            title=f"Consultations requested by {code}: {topic.title}",
            format=format,
            now=at,
        )
        row.meeting = meeting
        row.save(update_fields=["meeting"])
        audit.append(
            actor=chair.username,
            tag=Tag.CONSULTATION_CONVENED,
            subject=f"topic:{topic.code}",
            payload={
                "request": row.pk,
                "requested_in": event.seq,
                "procedure": meeting.pk,
                "body": body.code,
                "format": format.code if format else None,
                "convene_by": deadline,
            },
            at=at,
        )
    return row


def close_consultation(
    *, by: User, request_id: int, now: datetime | None = None
) -> ConsultationRequest:
    """Close a request: the consultations were held (the body's chair or secretary), or the
    requesting state withdraws it (its delegation). The meeting item is left to its chair."""
    with transaction.atomic():
        at = _at(now)
        row = (
            ConsultationRequest.objects.select_for_update(of=("self",))
            .select_related("topic__body")
            .filter(pk=request_id)
            .first()
        )
        if row is None:
            raise NotFound(_("no request for consultations {number}"), number=request_id)
        body = row.topic.body
        officer = by.role in SECRETARIAT and by.pk in (body.chair_id, body.secretary_id)
        speaks = by.role in SPEAKS_FOR_STATE and by.state_id == row.state_id
        if not officer and not speaks:
            raise NotAllowed(
                _("{user} may not close this request for consultations"), user=by.username
            )
        if row.closed_at is not None:
            raise IllegalTransition(
                _("this request was closed at {at}"), at=format_instant(row.closed_at)
            )
        row.closed_at, row.closed_by = at, by
        row.save(update_fields=["closed_at", "closed_by"])
        audit.append(
            actor=by.username,
            tag=Tag.CONSULTATION_CLOSED,
            subject=f"topic:{row.topic.code}",
            payload={
                "request": row.pk,
                "state": row.state_id,
                "withdrawn": not officer,
            },
            at=at,
        )
    return row


def notify_measure(
    *,
    by: User,
    topic: Topic,
    state: str,
    description: str,
    effective_on: date,
    now: datetime | None = None,
) -> MeasureNotification:
    """A member notifies a national measure it takes on ``topic``."""
    code = common.state(state).iso3
    with transaction.atomic():
        at = _at(now)
        notice = tc.MeasureNotification(code, topic.code, description.strip(), effective_on, at)
        tc.check_measure(notice, actor=by.to_actor(), memberships=_memberships())
        row = MeasureNotification.objects.create(
            topic=topic,
            state_id=code,
            description=notice.description,
            effective_on=effective_on,
            notified_by=by,
            notified_at=at,
        )
        audit.append(
            actor=by.username,
            tag=Tag.MEASURE_NOTIFIED,
            subject=f"topic:{topic.code}",
            payload={
                "measure": row.pk,
                "state": code,
                "description": row.description,
                "effective_on": effective_on.isoformat(),
                "in_advance": notice.in_advance,
            },
            at=at,
        )
    return row


# -- options papers -----------------------------------------------------------------------------


def create_paper(
    *, by: User, topic: Topic, title: str, title_fr: str = "", now: datetime | None = None
) -> OptionsPaper:
    """Start an options paper on ``topic`` (secretariat)."""
    _check_secretariat(by, "draft options papers")
    if not title.strip():
        raise InvalidInput(_("an options paper has a title"))
    with transaction.atomic():
        at = _at(now)
        paper = OptionsPaper.objects.create(
            topic=topic,
            title=title.strip(),
            title_fr=title_fr.strip(),
            created_by=by,
            created_at=at,
        )
        audit.append(
            actor=by.username,
            tag=Tag.OPTIONS_PAPER_CREATED,
            subject=f"options:{paper.pk}",
            payload={"paper": paper.pk, "topic": topic.code, "title": paper.title},
            at=at,
        )
    return paper


def add_option(
    *,
    by: User,
    paper: OptionsPaper,
    title: str,
    instrument: str,
    track: str,
    cost_note: str = "",
    title_fr: str = "",
    cost_note_fr: str = "",
    now: datetime | None = None,
) -> Option:
    """Add the next numbered option to ``paper`` (secretariat)."""
    _check_secretariat(by, "draft options")
    try:
        instrument_, track_ = tc.Instrument(instrument), tc.Track(track)
    except ValueError as exc:
        raise InvalidInput(_("{error}"), error=str(exc)) from None
    if track_ not in paper.topic.to_domain().tracks:
        raise InvalidInput(_("the topic is not on the {track} track"), track=track_.label)
    with transaction.atomic():
        at = _at(now)
        OptionsPaper.objects.select_for_update().get(pk=paper.pk)
        number = (paper.options.aggregate(n=Max("number"))["n"] or 0) + 1
        core = oc.Option(str(number), title, instrument_, track_, cost_note)
        for text, what in ((title_fr, "French title"), (cost_note_fr, "French cost note")):
            if "[" in text or "]" in text:
                raise InvalidInput(_("the {what} may not contain square brackets"), what=what)
        option = Option.objects.create(
            paper=paper,
            number=number,
            title=core.title,
            title_fr=title_fr.strip(),
            instrument=core.instrument,
            track=core.track,
            cost_note=core.cost_note,
            cost_note_fr=cost_note_fr.strip(),
        )
        audit.append(
            actor=by.username,
            tag=Tag.OPTIONS_OPTION_ADDED,
            subject=f"options:{paper.pk}",
            payload={
                "paper": paper.pk,
                "option": number,
                "title": option.title,
                "instrument": option.instrument,
                "track": option.track,
                "cost_note": option.cost_note,
            },
            at=at,
        )
    return option


def deciding(paper: OptionsPaper, on: date) -> tuple[str, ...]:
    """The states whose marks count on ``paper`` on ``on``: the allies of the topic's body."""
    body = paper.topic.body
    body_states = frozenset(body.member_states.values_list("iso3", flat=True)) or None
    return deciding_states(_memberships(), on, body_states=body_states)


def _marks(paper: OptionsPaper) -> list[OptionMark]:
    return list(
        OptionMark.objects.filter(option__paper=paper).select_related("option", "by").order_by("id")
    )


def mark_option(
    *,
    by: User,
    paper: OptionsPaper,
    option: int,
    state: str,
    mark: str,
    reason: str = "",
    now: datetime | None = None,
) -> OptionMark:
    """Record ``state``'s mark on option number ``option``: by its delegation, or by the body's
    chair or secretary recording what the delegation said (``on_behalf`` in the event)."""
    code = common.state(state).iso3
    try:
        chosen = oc.Mark(mark)
    except ValueError:
        raise InvalidInput(
            _("{mark!r} is not a mark: support, can_live_with or cannot_accept"), mark=mark
        ) from None
    body = paper.topic.body
    on_behalf = by.role in SECRETARIAT and by.pk in (body.chair_id, body.secretary_id)
    actor = Actor(by.username, Role.DELEGATION_HEAD, code) if on_behalf else by.to_actor()
    with transaction.atomic():
        at = _at(now)
        OptionsPaper.objects.select_for_update().get(pk=paper.pk)
        rows = {o.number: o for o in paper.options.all()}
        target = rows.get(option)
        entry = oc.OptionMark(0, code, str(option), chosen, reason.strip())
        oc.check_mark(
            entry,
            actor=actor,
            options=[o.to_domain() for o in rows.values()],
            deciding=deciding(paper, at.date()),
        )
        assert target is not None  # check_mark refuses an option not in the paper
        row = OptionMark.objects.create(
            option=target, state_id=code, mark=chosen, reason=entry.reason, by=by, at=at
        )
        audit.append(
            actor=by.username,
            tag=Tag.OPTIONS_OPTION_MARKED,
            subject=f"options:{paper.pk}",
            payload={
                "paper": paper.pk,
                "option": option,
                "state": code,
                "mark": chosen.value,
                "reason": entry.reason,
                "on_behalf": on_behalf,
            },
            at=at,
        )
    return row


def analysis(paper: OptionsPaper, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything an options page shows, from the core: the options with each deciding state's
    latest mark, what every deciding state can live with, the nearest misses, packages, and both
    tracks side by side. Plain data (numbers are option numbers)."""
    at = _at(now)
    states = deciding(paper, at.date())
    rows = list(paper.options.order_by("number"))
    options = [o.to_domain() for o in rows]
    marks = [m.to_domain() for m in _marks(paper)]
    latest = oc.latest_marks(marks)
    by_number = {str(o.number): o for o in rows}

    def option_data(o: Option) -> dict[str, Any]:
        own = latest.get(str(o.number), {})
        counted = {s: own[s] for s in states if s in own}
        return {
            "number": o.number,
            "title": o.title,
            "title_fr": o.title_fr,
            "instrument": o.instrument,
            "track": o.track,
            "cost_note": o.cost_note,
            "marks": {
                s: {"mark": m.mark.value, "reason": m.reason} for s, m in sorted(own.items())
            },
            "support": sum(1 for m in counted.values() if m.mark is oc.Mark.SUPPORT),
            "can_live_with": sum(1 for m in counted.values() if m.mark is oc.Mark.CAN_LIVE_WITH),
            "cannot_accept": sum(1 for m in counted.values() if m.mark is oc.Mark.CANNOT_ACCEPT),
            "not_marked": len(states) - len(counted),
        }

    agreeable = oc.agreeable(options, marks, states)
    misses = oc.nearest_misses(options, marks, states)
    found = oc.packages(options, marks, states)
    tracks = oc.by_track(options)
    return {
        "paper": paper.pk,
        "title": paper.title,
        "topic": paper.topic.code,
        "topic_title": paper.topic.title,
        "dual_track": paper.topic.to_domain().dual_track,
        "document": str(paper.document.reference) if paper.document_id else None,
        "deciding": list(states),
        "options": [option_data(o) for o in rows],
        "agreeable": [int(o.id) for o in agreeable],
        "nearest_misses": [
            {
                "option": int(m.option.id),
                "title": by_number[m.option.id].title,
                "cannot_accept": list(m.cannot_accept),
                "not_marked": list(m.not_marked),
                "reasons": dict(m.reasons),
            }
            for m in misses
        ],
        "packages": [
            {
                "options": [int(i) for i in p.ids],
                "instruments": sorted(p.instruments),
                "support": p.support,
            }
            for p in found
        ],
        "by_track": {t.value: [int(o.id) for o in chosen] for t, chosen in tracks.items()},
    }


def draft_decision(
    *, by: User, paper: OptionsPaper, options: Sequence[int], now: datetime | None = None
) -> Revision:
    """Register the chosen package as a draft decision in the topic's body (secretariat), in
    English and French when the topic and every chosen option have their French; otherwise in
    English only, to be translated and aligned before a procedure may open on it."""
    _check_secretariat(by, "draft decisions")
    with transaction.atomic():
        at = _at(now)
        locked = OptionsPaper.objects.select_for_update().get(pk=paper.pk)
        topic = paper.topic
        rows = {o.number: o for o in locked.options.all()}
        states = deciding(locked, at.date())
        marks = [m.to_domain() for m in _marks(locked)]
        chosen = oc.check_package(
            [str(n) for n in options], [o.to_domain() for o in rows.values()], marks, states
        )
        english = oc.draft_decision_text(topic.title, chosen)
        french: list[str] = []
        picked = [rows[int(o.id)] for o in chosen]
        if topic.title_fr and all(o.title_fr for o in picked):
            french = oc.draft_decision_text_fr(
                topic.title_fr,
                chosen,
                {str(o.number): (o.title_fr, o.cost_note_fr) for o in picked},
            )
        title_fr = (
            f"Projet de décision\u00a0: {locked.title_fr or topic.title_fr}" if french else ""
        )
        revision = documents.register(
            by=by,
            body=topic.body,
            series_code=DRAFT_SERIES,
            title=f"Draft decision: {locked.title}",
            title_fr=title_fr,
            paragraphs=[(en, french[i] if french else "") for i, en in enumerate(english)],
            now=at,
        )
        locked.document = revision.document
        locked.save(update_fields=["document"])
        audit.append(
            actor=by.username,
            tag=Tag.OPTIONS_PACKAGE_DRAFTED,
            subject=f"options:{locked.pk}",
            payload={
                "paper": locked.pk,
                "options": [int(o.id) for o in chosen],
                "document": revision.reference,
                "languages": ["en", "fr"] if french else ["en"],
            },
            at=at,
        )
    return revision


# -- commitments --------------------------------------------------------------------------------


def create_commitment(
    *,
    by: User,
    kind: str,
    title: str,
    due: date,
    states: Iterable[str] | None = None,
    target: Decimal | str | None = None,
    baseline_on: date | None = None,
    baselines: Mapping[str, Decimal | str] | None = None,
    decision: Decision | None = None,
    topic: Topic | None = None,
    title_fr: str = "",
    now: datetime | None = None,
) -> Commitment:
    """A commitment binding ``states`` (by default, from ``decision``: the states it binds,
    those standing aside excluded) by ``due`` (secretariat)."""
    _check_secretariat(by, "create commitments")
    if states is None:
        if decision is None:
            raise InvalidInput(_("a standalone commitment names the states it binds"))
        states = list(decision.bound)
    codes = sorted({common.state(s).iso3 for s in states})
    shares = {common.state(s).iso3: _decimal(v, "baseline") for s, v in (baselines or {}).items()}
    try:
        core = cc.Commitment(
            "new",
            cc.CommitmentKind(kind),
            title.strip(),
            frozenset(codes),
            due,
            _decimal(target, "target"),
            baseline_on,
            {s: v for s, v in shares.items() if v is not None},
        )
    except ValueError as exc:
        raise InvalidInput(_("{error}"), error=str(exc)) from None
    with transaction.atomic():
        at = _at(now)
        row = Commitment.objects.create(
            decision=decision,
            topic=topic,
            kind=core.kind,
            title=core.title,
            title_fr=title_fr.strip(),
            due=due,
            target=core.target,
            baseline_on=baseline_on,
            baselines={s: str(v) for s, v in sorted(core.baselines.items())},
            states=codes,
            created_by=by,
            created_at=at,
        )
        audit.append(
            actor=by.username,
            tag=Tag.COMMITMENT_CREATED,
            subject=f"commitment:{row.pk}",
            payload={
                "commitment": row.pk,
                "kind": row.kind,
                "title": row.title,
                "due": due.isoformat(),
                "target": str(core.target) if core.target is not None else None,
                "states": codes,
                "decision": decision.number if decision else None,
                "topic": topic.code if topic else None,
            },
            at=at,
        )
    return row


def _core_reports(rows: Iterable[CommitmentReport]) -> list[cc.Report]:
    out = []
    for r in rows:
        review = getattr(r, "review", None) if hasattr(r, "review") else None
        out.append(
            cc.Report(
                r.state_id,
                r.at,
                r.figure,
                r.evidence,
                r.delivered,
                cc.Review(cc.Verdict(review.verdict), review.at, review.note) if review else None,
            )
        )
    return out


def _reports(commitment: Commitment) -> list[CommitmentReport]:
    return list(
        CommitmentReport.objects.filter(commitment=commitment)
        .select_related("review", "by")
        .order_by("at", "id")
    )


def report_progress(
    *,
    by: User,
    commitment: Commitment,
    state: str,
    evidence: str,
    figure: Decimal | str | None = None,
    delivered: bool = False,
    year: int | None = None,
    now: datetime | None = None,
) -> CommitmentReport:
    """A bound state reports on ``commitment``: its delegation or capital, or the secretariat
    recording the figures the state submitted (``on_behalf`` in the event). For spending,
    ``figure`` is the share of GDP in per cent and ``year`` the year it is for (default: the
    year of the report)."""
    code = common.state(state).iso3
    share = _decimal(figure, "figure")
    with transaction.atomic():
        at = _at(now)
        locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
        core = locked.to_domain()
        if year is None and core.kind is cc.CommitmentKind.SPENDING:
            year = at.year
        if year is not None and not 1900 <= year <= 2200:
            raise InvalidInput(_("a report's year is between 1900 and 2200"))
        report = cc.Report(code, at, share, evidence.strip(), delivered)
        on_behalf = by.role in SECRETARIAT
        actor = Actor(by.username, Role.DELEGATION_HEAD, code) if on_behalf else by.to_actor()
        cc.check_report(core, report, actor=actor)
        row = CommitmentReport.objects.create(
            commitment=locked,
            state_id=code,
            at=at,
            year=year,
            figure=share,
            evidence=report.evidence,
            delivered=delivered,
            by=by,
        )
        audit.append(
            actor=by.username,
            tag=Tag.COMMITMENT_REPORTED,
            subject=f"commitment:{locked.pk}",
            payload={
                "commitment": locked.pk,
                "report": row.pk,
                "state": code,
                "figure": str(share) if share is not None else None,
                "year": year,
                "delivered": delivered,
                "evidence": report.evidence,
                "on_behalf": on_behalf,
            },
            at=at,
        )
    return row


def review_report(
    *, by: User, report_id: int, verdict: str, note: str = "", now: datetime | None = None
) -> ReportReview:
    """The secretariat accepts a report, or queries it saying what is missing."""
    _check_secretariat(by, "review reports")
    with transaction.atomic():
        at = _at(now)
        row = (
            CommitmentReport.objects.select_for_update(of=("self",))
            .select_related("commitment")
            .filter(pk=report_id)
            .first()
        )
        if row is None:
            raise NotFound(_("no report {number}"), number=report_id)
        if ReportReview.objects.filter(report=row).exists():
            raise IllegalTransition(_("report {number} has been reviewed already"), number=row.pk)
        try:
            review = cc.Review(cc.Verdict(verdict), at, note.strip())
        except ValueError:
            raise InvalidInput(
                _("{verdict!r} is not a verdict: accepted or queried"), verdict=verdict
            ) from None
        (core_report,) = _core_reports([row])
        cc.check_review(core_report, review, actor=by.to_actor())
        made = ReportReview.objects.create(
            report=row, verdict=review.verdict, note=review.note, by=by, at=at
        )
        tag = (
            Tag.COMMITMENT_REPORT_ACCEPTED
            if review.verdict is cc.Verdict.ACCEPTED
            else Tag.COMMITMENT_REPORT_QUERIED
        )
        audit.append(
            actor=by.username,
            tag=tag,
            subject=f"commitment:{row.commitment_id}",
            payload={
                "commitment": row.commitment_id,
                "report": row.pk,
                "state": row.state_id,
                "note": review.note,
            },
            at=at,
        )
    return made


def _day(now: datetime | None, on: date | None) -> date:
    return on or _at(now).astimezone(UTC).date()


def dashboard(
    commitment: Commitment, *, on: date | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Where every bound state stands on ``on`` (default: today, UTC): status from the core,
    the latest figure that counts and the trajectory expected at its date; a count per status;
    and for spending, the series of reported shares per state per year (queried reports left
    out; the latest report for a year counts)."""
    today = _day(now, on)
    core = commitment.to_domain()
    rows = _reports(commitment)
    reports = _core_reports(rows)
    names = dict(State.objects.filter(iso3__in=core.states).values_list("iso3", "name_en"))
    per_state = []
    counts = {s.value: 0 for s in cc.Status}
    for state in sorted(core.states):
        standing = cc.standing(core, state, reports, today)
        counts[standing.status.value] += 1
        latest = standing.latest
        per_state.append(
            {
                "state": state,
                "name": names.get(state, state),
                "status": standing.status.value,
                "figure": _num(standing.figure),
                "expected": _num(standing.expected.quantize(Decimal("0.01")))
                if standing.expected is not None
                else None,
                "reported_at": latest.at.isoformat() if latest else None,
                "delivered": bool(latest and latest.delivered),
            }
        )
    series: dict[str, dict[int, float]] = {}
    if core.kind is cc.CommitmentKind.SPENDING:
        for row, report in zip(rows, reports, strict=True):
            if row.figure is None or row.year is None or not report.counts_on(today):
                continue
            series.setdefault(row.state_id, {})[row.year] = float(row.figure)
    years = sorted({y for by_year in series.values() for y in by_year})
    return {
        "commitment": commitment.pk,
        "kind": core.kind.value,
        "title": commitment.title,
        "due": core.due.isoformat(),
        "target": _num(core.target),
        "on": today.isoformat(),
        "counts": counts,
        "states": per_state,
        "years": years,
        "series": {
            s: {str(y): v for y, v in sorted(by_year.items())}
            for s, by_year in sorted(series.items())
        },
    }


def _num(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def dashboard_csv(
    commitment: Commitment, *, on: date | None = None, now: datetime | None = None
) -> str:
    """The dashboard as CSV: one line per bound state, its status, latest figure, expected
    figure, and (for spending) one column per reported year."""
    data = dashboard(commitment, on=on, now=now)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    years = data["years"]
    writer.writerow(
        ["state", "name", "status", "figure", "expected", "reported_at", *map(str, years)]
    )
    for row in data["states"]:
        by_year = data["series"].get(row["state"], {})
        writer.writerow(
            [
                row["state"],
                row["name"],
                row["status"],
                "" if row["figure"] is None else f"{row['figure']:.2f}",
                "" if row["expected"] is None else f"{row['expected']:.2f}",
                row["reported_at"] or "",
                *("" if str(y) not in by_year else f"{by_year[str(y)]:.2f}" for y in years),
            ]
        )
    return out.getvalue()


def send_commitment_reminders(now: datetime | None = None) -> int:
    """Send the reminders due at ``now`` (the core's ``reminders_due``): one audit event per
    (commitment, state, lead time), and an in-app notification to each person who speaks for
    that state. Each reminder goes exactly once, whatever the workers do: the ``ReminderSent``
    row is unique, and a reminder another worker is sending is skipped. Returns how many
    reminders were sent."""
    at = _at(now)
    due_soon = Commitment.objects.filter(
        due__gte=(at - timedelta(days=1)).date(), due__lte=(at + max(cc.REMINDER_LEADS)).date()
    )
    rows = {str(c.pk): c for c in due_soon}
    if not rows:
        return 0
    by_commitment: dict[str, list[cc.Report]] = {}
    for r in (
        CommitmentReport.objects.filter(commitment__in=rows.values())
        .select_related("review")
        .order_by("at", "id")
    ):
        by_commitment.setdefault(str(r.commitment_id), []).extend(_core_reports([r]))
    sent = 0
    for reminder in cc.reminders_due([c.to_domain() for c in rows.values()], by_commitment, at):
        commitment = rows[reminder.commitment_id]
        try:
            with transaction.atomic():
                if _send(commitment, reminder, at):
                    sent += 1
        except IntegrityError:  # another worker sent it at the same moment
            continue
    return sent


def _reminder_text(
    commitment: Commitment, reminder: cc.Reminder, days: int, language: str
) -> dict[str, str]:
    """A reminder's title and body in the recipient's language."""
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override(language):
        french = translation.get_language() == "fr"
        title = (commitment.title_fr if french else "") or commitment.title
        due = reminder.due.isoformat()
        return {
            "title": gettext("%(title)s: due %(due)s") % {"title": title, "due": due},
            "body": gettext(
                "%(state)s has not reported this commitment delivered; it is due on %(due)s "
                "(%(days)s days' notice)."
            )
            % {"state": reminder.state, "due": due, "days": days},
        }


def _send(commitment: Commitment, reminder: cc.Reminder, at: datetime) -> bool:
    if ReminderSent.objects.filter(
        commitment=commitment, state_id=reminder.state, lead=reminder.lead
    ).exists():
        return False
    ReminderSent.objects.create(
        commitment=commitment, state_id=reminder.state, lead=reminder.lead, sent_at=at
    )
    days = reminder.lead.days
    event = audit.append(
        actor=SYSTEM_WORKER,
        tag=Tag.COMMITMENT_REMINDER_SENT,
        subject=f"commitment:{commitment.pk}",
        payload={
            "commitment": commitment.pk,
            "state": reminder.state,
            "due": reminder.due.isoformat(),
            "days_before": days,
        },
        at=at,
    )
    people = [
        u
        for u in User.objects.filter(
            is_active=True, state_id=reminder.state, role__in=REMINDED_ROLES
        )
        if commitments(u).filter(pk=commitment.pk).exists()  # only those who may see it
    ]
    Notification.objects.bulk_create(
        Notification(
            user=u,
            kind=str(Tag.COMMITMENT_REMINDER_SENT),
            event_seq=event.seq,
            created_at=at,
            **_reminder_text(commitment, reminder, days, u.language or "en"),
        )
        for u in people
    )
    return True
