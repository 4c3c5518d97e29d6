"""Opening procedures, taking positions, chair actions, and recording outcomes exactly once."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Prefetch

from concord.alliance.models import Body, Format, Membership, State, User
from concord.documents.models import Revision
from concord.domain import filing
from concord.domain import procedures as core
from concord.domain.alliance import Actor, MembershipKind, deciding_states
from concord.domain.audit import SYSTEM_WORKER
from concord.domain.canonical import format_instant, sha256_hex
from concord.domain.errors import (
    IllegalTransition,
    InvalidInput,
    NotAllowed,
    NotFound,
    StaleVersion,
    _,
)
from concord.domain.events import Tag, opened_tag, procedure_tag
from concord.domain.rules import DecisionRule
from concord.domain.texts import Paragraph as TextParagraph
from concord.domain.texts import canonical_text, search_words
from concord.procedures.models import Participant, Position, Procedure
from concord.records.models import AuditEvent, Decision
from concord.services import audit, common
from concord.services.documents import allocate_number

log = logging.getLogger(__name__)

Kind = core.Kind
PositionKind = core.PositionKind
ProcedureState = core.State


# -- reading ------------------------------------------------------------------------------------


def with_history(queryset: Any = None) -> Any:
    """Procedures with everything evaluation needs, in a fixed number of queries."""
    qs = Procedure.objects.all() if queryset is None else queryset
    return qs.select_related(
        "body", "format", "revision__document__series", "opened_by", "decision"
    ).prefetch_related(
        Prefetch("participants", queryset=Participant.objects.order_by("state_id")),
        Prefetch("positions", queryset=Position.objects.select_related("filed_by").order_by("id")),
    )


def get(procedure_id: int) -> Procedure:
    procedure = with_history().filter(pk=procedure_id).first()
    if procedure is None:
        raise NotFound(_("no procedure {number}"), number=procedure_id)
    return procedure


def spec_of(p: Procedure) -> core.Spec:
    participants = list(p.participants.all())
    return core.Spec(
        kind=core.Kind(p.kind),
        rule=DecisionRule.from_data(p.rule),
        participants=tuple(x.state_id for x in participants),
        opened_at=p.opened_at,
        expires_at=p.expires_at,
        settings=core.Settings(p.minimum_silence, p.ministerial_objections, p.coalitions_within),
        populations={x.state_id: x.population_millions for x in participants},
        concluded_at=p.concluded_at,
        withdrawn_at=p.withdrawn_at,
    )


def entries_of(p: Procedure) -> list[core.Entry]:
    return [pos.to_entry() for pos in p.positions.all()]


def evaluate(p: Procedure, now: datetime | None = None) -> core.Evaluation:
    return core.evaluate(spec_of(p), entries_of(p), now or common.now())


# -- opening ------------------------------------------------------------------------------------


def _partner_states() -> frozenset[str]:
    return frozenset(
        Membership.objects.filter(kind=MembershipKind.PARTNER).values_list("state_id", flat=True)
    )


def _check_text_ready(revision: Revision) -> None:
    """Nothing is agreed until everything is agreed: a procedure adopts only the latest
    revision, with no open bracket and both languages aligned."""
    from concord.services import texts

    latest = revision.document.revisions.order_by("-number").values_list("number", flat=True)[0]
    if latest != revision.number:
        raise IllegalTransition(
            _("{reference} is not the latest revision of its document: {latest} is"),
            reference=revision.reference,
            latest=revision.document.reference.revision(latest),
        )
    texts.ready(revision)


def open_procedure(
    *,
    by: User,
    kind: core.Kind,
    body: Body,
    expires_at: datetime,
    revision: Revision | None = None,
    title: str = "",
    format: Format | None = None,
    rule: DecisionRule | None = None,
    now: datetime | None = None,
) -> Procedure:
    """Open a procedure; its deciding participants are fixed now, from the memberships valid
    today (in the body's seat time zone) and the format's partners."""
    core.check_chair(by.to_actor(), body.chair_id == by.pk, body.code)
    if expires_at.tzinfo is None:
        raise InvalidInput(_("the expiry needs a time zone (e.g. 2026-12-01T17:00:00+01:00)"))
    if kind is not core.Kind.MEETING and revision is None:
        raise InvalidInput(_("a {kind} needs the document it is about"), kind=kind.label)
    if kind is core.Kind.DELEGATED and not body.delegated_authority:
        raise NotAllowed(_("{body} has not delegated authority to its chair"), body=body.code)
    if format is not None and format.body_id != body.pk:
        raise InvalidInput(_("the format {format} belongs to another body"), format=format.code)
    if revision is not None:
        _check_text_ready(revision)
    title = title.strip() or (revision.document.title if revision else "")
    if not title:
        raise InvalidInput(_("a procedure needs a title or a document"))
    with transaction.atomic():
        at = now or common.now()
        on = at.astimezone(ZoneInfo(body.seat_timezone)).date()
        memberships = [m.to_domain() for m in Membership.objects.all()]
        body_states = frozenset(body.member_states.values_list("iso3", flat=True)) or None
        partners = (
            frozenset(format.partners.values_list("iso3", flat=True)) if format else frozenset()
        )
        participants = deciding_states(
            memberships, on, body_states=body_states, format_partners=partners
        )
        chosen_rule = rule or body.decision_rule()
        spec = core.Spec(
            kind=kind,
            rule=chosen_rule,
            participants=participants,
            opened_at=at,
            expires_at=expires_at,
            settings=core.Settings(
                body.minimum_silence, body.ministerial_objections, body.coalitions_within
            ),
        )
        core.check_open(spec, at)
        procedure = Procedure.objects.create(
            kind=kind,
            body=body,
            format=format,
            revision=revision,
            title=title,
            rule=chosen_rule.to_data(),
            minimum_silence=body.minimum_silence,
            ministerial_objections=body.ministerial_objections,
            coalitions_within=body.coalitions_within,
            opened_by=by,
            opened_at=at,
            expires_at=expires_at,
            state=core.State.OPEN,
        )
        populations = dict(
            State.objects.filter(iso3__in=participants).values_list("iso3", "population_millions")
        )
        Participant.objects.bulk_create(
            Participant(
                procedure=procedure, state_id=s, population_millions=populations.get(s, Decimal(0))
            )
            for s in participants
        )
        audit.append(
            actor=by.username,
            tag=opened_tag(kind),
            subject=f"procedure:{procedure.pk}",
            payload={
                "procedure": procedure.pk,
                "kind": kind.value,
                "body": body.code,
                "format": format.code if format else None,
                "document": revision.reference if revision else None,
                "title": title,
                "expires_at": expires_at,
                "rule": chosen_rule.to_data(),
                "participants": list(participants),
                "ministerial_objections": body.ministerial_objections,
                "coalitions_within": body.coalitions_within,
            },
            at=at,
        )
    return get(procedure.pk)


def open_silence(
    *,
    by: User,
    body: Body,
    revision: Revision,
    expires_at: datetime,
    title: str = "",
    format: Format | None = None,
    now: datetime | None = None,
) -> Procedure:
    return open_procedure(
        by=by,
        kind=core.Kind.SILENCE,
        body=body,
        revision=revision,
        expires_at=expires_at,
        title=title,
        format=format,
        now=now,
    )


# -- acting on a running procedure ----------------------------------------------------------------


def _locked(procedure_id: int) -> Procedure:
    """The procedure with its history, its row locked (and read) in the same statement."""
    procedure = with_history(
        Procedure.objects.select_for_update(of=("self",)).filter(pk=procedure_id)
    ).first()
    if procedure is None:
        raise NotFound(_("no procedure {number}"), number=procedure_id)
    return procedure


def _with_position(p: Procedure, position: Position) -> Procedure:
    """``p`` as just committed, with ``position`` added to its history, without reading it
    again (``_settle`` has set its state and decision)."""
    cached = getattr(p, "_prefetched_objects_cache", {}).get("positions")
    if cached is None or cached._result_cache is None:
        return get(p.pk)
    cached._result_cache.append(position)
    return p


def _current(
    p: Procedure, at: datetime, action: core.Action
) -> tuple[core.Spec, list[core.Entry], frozenset[core.State]]:
    spec, entries = spec_of(p), entries_of(p)
    _state, allowed = filing.current(spec, entries, at, action, p.pk)
    return spec, entries, allowed


def _is_officer(p: Procedure, user: User) -> bool:
    return user.pk in (p.body.chair_id, p.body.secretary_id)


def file_position(
    *,
    procedure_id: int,
    by: User,
    state: str,
    kind: core.PositionKind,
    statement: str = "",
    paragraph: int | None = None,
    grounds: str = "",
    now: datetime | None = None,
) -> Procedure:
    """Commit one position for ``state`` (a break of silence, a reply, a meeting position, a
    capital's confirmation or countersignature, a call-up)."""
    iso3 = common.state(state).iso3
    filing.check_grounds(grounds)
    with transaction.atomic():
        p = _locked(procedure_id)
        at = now or common.now()
        spec, entries = spec_of(p), entries_of(p)
        actor: Actor = by.to_actor()
        plan = filing.plan(
            spec,
            entries,
            number=p.pk,
            actor=actor,
            state=iso3,
            kind=kind,
            statement=statement,
            paragraph=paragraph,
            grounds=grounds,
            at=at,
            seq=max((e.seq for e in entries), default=0) + 1,  # the new row's id sorts last too
            records_for_body=_is_officer(p, by),
            partner_states=_partner_states(),
        )
        position = Position.objects.create(
            procedure=p,
            state_id=iso3,
            kind=kind,
            statement=plan.entry.statement,
            grounds=plan.grounds,
            paragraph=paragraph,
            filed_by=by,
            ministerial=actor.ministerial,
            at=at,
        )
        audit.append(
            actor=by.username,
            tag=plan.tag,
            subject=f"procedure:{p.pk}",
            payload=plan.payload,
            at=at,
        )
        _settle(p, plan.after, at, by.username)
    return _with_position(p, position)


def break_silence(
    *,
    procedure_id: int,
    by: User,
    state: str,
    statement: str,
    grounds: str = "objection",
    now: datetime | None = None,
) -> Procedure:
    kind = Procedure.objects.filter(pk=procedure_id).values_list("kind", flat=True).first()
    if kind is None:
        raise NotFound(_("no procedure {number}"), number=procedure_id)
    if kind != core.Kind.SILENCE:
        raise InvalidInput(
            _("procedure {number} is a {kind}, not a silence procedure"),
            number=procedure_id,
            kind=core.Kind(kind).label,
        )
    return file_position(
        procedure_id=procedure_id,
        by=by,
        state=state,
        kind=core.PositionKind.BREAK,
        statement=statement,
        grounds=grounds,
        now=now,
    )


def version(procedure_id: int) -> int:
    """The sequence number of the procedure's latest audit event: it changes with every change."""
    last = (
        AuditEvent.objects.filter(subject=f"procedure:{procedure_id}")
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    return last or 0


def extend(
    *,
    procedure_id: int,
    by: User,
    expires_at: datetime,
    now: datetime | None = None,
    expected_version: int | None = None,
) -> Procedure:
    if expires_at.tzinfo is None:
        raise InvalidInput(_("the new expiry needs a time zone (e.g. 2026-12-01T17:00:00+01:00)"))
    with transaction.atomic():
        p = _locked(procedure_id)
        core.check_chair(by.to_actor(), p.body.chair_id == by.pk, p.body.code)
        at = now or common.now()
        spec, _entries, _allowed = _current(p, at, core.Action.EXTEND)
        core.check_extend(spec, expires_at, at)
        if expected_version is not None and version(p.pk) != expected_version:
            raise StaleVersion(
                _("procedure {number} has changed since you read it: reload it and try again"),
                number=p.pk,
            )
        previous = p.expires_at
        Procedure.objects.filter(pk=p.pk).update(expires_at=expires_at)
        audit.append(
            actor=by.username,
            tag=procedure_tag(spec.kind, core.Action.EXTEND),
            subject=f"procedure:{p.pk}",
            payload={"procedure": p.pk, "from": previous, "to": expires_at},
            at=at,
        )
    return get(procedure_id)


def withdraw(*, procedure_id: int, by: User, now: datetime | None = None) -> Procedure:
    with transaction.atomic():
        p = _locked(procedure_id)
        core.check_chair(by.to_actor(), p.body.chair_id == by.pk, p.body.code)
        at = now or common.now()
        spec, _entries, _allowed = _current(p, at, core.Action.WITHDRAW)
        Procedure.objects.filter(pk=p.pk).update(
            withdrawn_at=at, state=core.State.WITHDRAWN, decided_at=at, recorded_at=at
        )
        audit.append(
            actor=by.username,
            tag=procedure_tag(spec.kind, core.Action.WITHDRAW),
            subject=f"procedure:{p.pk}",
            payload={"procedure": p.pk, "outcome": core.State.WITHDRAWN.value},
            at=at,
        )
    return get(procedure_id)


def conclude(*, procedure_id: int, by: User, now: datetime | None = None) -> Procedure:
    """The chair closes a meeting item: the positions recorded so far decide it."""
    with transaction.atomic():
        p = _locked(procedure_id)
        core.check_chair(by.to_actor(), p.body.chair_id == by.pk, p.body.code)
        at = now or common.now()
        _spec, _entries, allowed = _current(p, at, core.Action.CONCLUDE)
        Procedure.objects.filter(pk=p.pk).update(concluded_at=at)
        p = get(procedure_id)
        after = evaluate(p, at)
        _expect(after.state, allowed)
        audit.append(
            actor=by.username,
            tag=Tag.MEETING_CONCLUDED,
            subject=f"procedure:{p.pk}",
            payload={
                "procedure": p.pk,
                "outcome": after.state.value,
                "objecting": list(after.objecting),
            },
            at=at,
        )
        _settle(p, after, at, by.username)
    return get(procedure_id)


_expect = filing.expect


# -- outcomes -------------------------------------------------------------------------------------


def _settle(
    p: Procedure, ev: core.Evaluation, at: datetime, actor: str, cache: dict | None = None
) -> Decision | None:
    """Record a final outcome once: the state, and for an adoption the decision sheet.
    Runs under the procedure's row lock."""
    if not ev.state.final or core.State(p.state).final:
        # A recorded final outcome is never moved back (a later clock on another host could
        # read an earlier state).
        if not ev.state.final and p.state != ev.state and not core.State(p.state).final:
            Procedure.objects.filter(pk=p.pk).update(state=ev.state)
            p.state = ev.state.value
        return None
    Procedure.objects.filter(pk=p.pk).update(
        state=ev.state, decided_at=ev.decided_at, recorded_at=at
    )
    p.state, p.decided_at, p.recorded_at = ev.state.value, ev.decided_at, at
    if ev.state is not core.State.ADOPTED:
        return None
    p.decision = _record_decision(p, ev, at, actor, {} if cache is None else cache)
    return p.decision


def _adopted_text(p: Procedure) -> tuple[str, list[TextParagraph], str]:
    """The adopted revision's reference, its searchable paragraphs and its canonical text."""
    if p.revision is None:
        reference, paragraphs = f"procedure {p.pk}", [TextParagraph(1, p.title)]
        return reference, paragraphs, canonical_text(reference, paragraphs)
    reference = p.revision.reference
    rows = list(p.revision.paragraphs.all())
    level = p.revision.document.classification
    paragraphs = [TextParagraph(x.number, x.text, x.text_fr) for x in rows]
    # Portions marked above the document's level stay out of the searchable words.
    searchable = [
        TextParagraph(x.number, x.text, x.text_fr)
        for x in rows
        if x.classification is None or x.classification <= level
    ]
    return reference, searchable, canonical_text(reference, paragraphs)


def _series_for(p: Procedure, cache: dict) -> Any:
    """The body's series of decision sheets (kept in ``cache`` for the transaction)."""
    from concord.documents.models import Series

    series = cache.get(("series", p.body_id))
    if series is None:
        series, _created = Series.objects.get_or_create(
            code=f"{p.body.code}-DS",
            defaults={"name": f"{p.body.name}: decision sheets", "body": p.body},
        )
        cache[("series", p.body_id)] = series
    return series


class _Text(NamedTuple):
    """What every decision sheet adopting the same text shares."""

    reference: str
    canonical: str
    sha256: str
    words: str  # the searchable paragraphs' words


def _text_for(p: Procedure, cache: dict) -> _Text:
    """``_adopted_text`` with its digest and words, once per immutable revision in ``cache``."""
    key = ("text", p.revision_id or -p.pk)
    if key not in cache:
        reference, searchable, canonical = _adopted_text(p)
        words = search_words(" ".join(f"{x.text} {x.text_fr}" for x in searchable))
        cache[key] = _Text(reference, canonical, sha256_hex(canonical), words)
    return cache[key]


def _timeline_entry(e: AuditEvent) -> dict[str, Any]:
    return {"seq": e.seq, "at": format_instant(e.at), "actor": e.actor, "tag": e.tag}


def _decision(
    p: Procedure,
    ev: core.Evaluation,
    at: datetime,
    series: Any,
    number: int,
    text: _Text,
    timeline: list[dict[str, Any]],
) -> Decision:
    """The decision sheet of an adoption, not yet saved."""
    assert ev.decided_at is not None
    code = f"{series.code}({ev.decided_at.year}){number:04d}"
    bound = list(ev.bound)
    # The words of " ".join(parts) are the words of each part in turn: the text's are cached.
    words = [
        search_words(" ".join([p.title, text.reference, p.body.code, code])),
        text.words,
        search_words(" ".join(s.statement for s in (*ev.statements, *ev.footnotes))),
    ]
    return Decision(
        number=code,
        procedure=p,
        reference=text.reference,
        text_sha256=text.sha256,
        canonical_text=text.canonical,
        adopted_at=ev.decided_at,
        bound=bound,
        standing_aside=[s for s in ev.participants if s not in bound],
        footnotes=_footnotes(p, ev),
        statements=[{"state": s.state, "text": s.statement} for s in ev.statements],
        timeline=timeline,
        recorded_at=at,
        search_text=" ".join(w for w in words if w),
    )


def _append_decision(
    decision: Decision, p: Procedure, at: datetime, actor: str, append: Any = audit.append
) -> None:
    append(
        actor=actor,
        tag=Tag.DECISION_RECORDED,
        subject=f"decision:{decision.number}",
        payload={
            "decision": decision.number,
            "procedure": p.pk,
            "reference": decision.reference,
            "text_sha256": decision.text_sha256,
            "adopted_at": decision.adopted_at,
            "bound": decision.bound,
            "standing_aside": decision.standing_aside,
        },
        at=at,
    )


def _footnotes(p: Procedure, ev: core.Evaluation) -> list[dict[str, Any]]:
    """The footnotes, each pointing at its paragraph by number in the adopted revision and by
    the paragraph's identity, which every revision of the text keeps."""
    if not ev.footnotes:
        return []
    keys: dict[int, str] = {}
    if p.revision_id is not None:
        keys = dict(p.revision.paragraphs.values_list("number", "key"))
    return [
        {
            "state": f.state,
            "paragraph": f.paragraph,
            "paragraph_id": keys.get(f.paragraph) if f.paragraph is not None else None,
            "text": f.statement,
        }
        for f in ev.footnotes
    ]


def _record_decision(
    p: Procedure, ev: core.Evaluation, at: datetime, actor: str, cache: dict
) -> Decision:
    """Write the decision sheet. ``cache`` keeps, for one transaction, what several decisions
    share (the body's series, an immutable revision's text)."""
    assert ev.decided_at is not None
    series = _series_for(p, cache)
    number = allocate_number(series, ev.decided_at.year)
    text = _text_for(p, cache)
    timeline = [
        _timeline_entry(e)
        for e in AuditEvent.objects.filter(subject=f"procedure:{p.pk}").order_by("seq")
    ]
    decision = _decision(p, ev, at, series, number, text, timeline)
    decision.save(force_insert=True)
    _append_decision(decision, p, at, actor)
    return decision


def _append_expiry(
    p: Procedure, ev: core.Evaluation, at: datetime, append: Any = audit.append
) -> AuditEvent:
    return append(
        actor=SYSTEM_WORKER,
        tag=procedure_tag(core.Kind(p.kind), core.Action.EXPIRE),
        subject=f"procedure:{p.pk}",
        payload={
            "procedure": p.pk,
            "outcome": ev.state.value,
            "decided_at": ev.decided_at,
            "objecting": list(ev.objecting),
            "called_up_by": list(ev.called_up_by),
        },
        at=at,
    )


def _record_expiry(p: Procedure, at: datetime, cache: dict) -> bool:
    """Record the outcome of a locked procedure whose expiry has passed, as the system actor."""
    ev = evaluate(p, at)
    if not ev.state.final:
        return False
    _append_expiry(p, ev, at)
    _settle(p, ev, at, SYSTEM_WORKER, cache)
    return True


def _allocate_numbers(series: Any, year: int, count: int) -> range:
    """``count`` consecutive numbers of ``series`` in ``year``, as ``allocate_number`` gives them
    one at a time: the counter row stays locked until the transaction commits."""
    from concord.documents.models import ReferenceCounter

    counter, _created = ReferenceCounter.objects.get_or_create(series=series, year=year)
    counter = ReferenceCounter.objects.select_for_update().get(pk=counter.pk)
    first = counter.last_number + 1
    counter.last_number += count
    counter.save(update_fields=["last_number"])
    return range(first, first + count)


def _record_expiries(outcomes: list[tuple[Procedure, core.Evaluation]], at: datetime) -> int:
    """Record the final outcomes of locked, expired procedures in one transaction, as
    ``_record_expiry`` does one by one (the same events in the same order, the same decision
    sheets and numbers), with a few statements for the whole batch instead of a dozen for each:
    what the decision sheets share and need is read first, before the audit head is locked;
    the sheets are inserted together, and the states set with one UPDATE per outcome."""
    cache: dict = {}
    adopted = [(p, ev) for p, ev in outcomes if ev.state is core.State.ADOPTED]
    wanted: dict[tuple[int, int], int] = {}
    for p, ev in adopted:
        assert ev.decided_at is not None
        series = _series_for(p, cache)
        _text_for(p, cache)
        key = (series.pk, ev.decided_at.year)
        wanted[key] = wanted.get(key, 0) + 1
    history: dict[str, list[dict[str, Any]]] = {}
    if adopted:
        for e in AuditEvent.objects.filter(
            subject__in=[f"procedure:{p.pk}" for p, _ev in adopted]
        ).order_by("seq"):
            history.setdefault(e.subject, []).append(_timeline_entry(e))
    numbers: dict[tuple[int, int], Any] = {}
    decisions: list[Decision] = []
    chain = audit.Chain()
    for p, ev in outcomes:
        event = _append_expiry(p, ev, at, chain.append)
        if ev.state is not core.State.ADOPTED:
            continue
        assert ev.decided_at is not None
        series = _series_for(p, cache)
        key = (series.pk, ev.decided_at.year)
        if key not in numbers:  # after the first append: the audit head before any counter
            numbers[key] = iter(_allocate_numbers(series, ev.decided_at.year, wanted[key]))
        timeline = [*history.get(event.subject, []), _timeline_entry(event)]
        decision = _decision(p, ev, at, series, next(numbers[key]), _text_for(p, cache), timeline)
        _append_decision(decision, p, at, SYSTEM_WORKER, chain.append)
        decisions.append(decision)
    chain.flush()
    Decision.objects.bulk_create(decisions)
    settled: dict[tuple[core.State, datetime | None], list[int]] = {}
    for p, ev in outcomes:
        settled.setdefault((ev.state, ev.decided_at), []).append(p.pk)
    for (state, decided_at), pks in settled.items():
        Procedure.objects.filter(pk__in=pks).update(
            state=state, decided_at=decided_at, recorded_at=at
        )
    return len(outcomes)


def record_outcome(procedure_id: int, now: datetime | None = None) -> bool:
    """Record the outcome of one procedure whose expiry has passed. Idempotent and safe to run
    in several processes at once: the row is locked (others skip it) and its state re-read."""
    with transaction.atomic():
        locked = (
            Procedure.objects.select_for_update(skip_locked=True)
            .filter(pk=procedure_id, state__in=[core.State.OPEN, core.State.AWAITING_CONFIRMATION])
            .first()
        )
        if locked is None:
            return False
        return _record_expiry(get(procedure_id), now or common.now(), {})


def due(now: datetime | None = None, limit: int = 500) -> list[int]:
    at = now or common.now()
    return list(
        Procedure.objects.filter(
            state__in=[core.State.OPEN, core.State.AWAITING_CONFIRMATION], expires_at__lte=at
        )
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


#: Outcomes recorded per transaction by a worker: enough to spread the cost of a commit and of
#: the audit head's lock, few enough that the head is never held for long.
BATCH = 20


def _record_batch(now: datetime | None, waiting: set[int] | None = None) -> int:
    """Claim up to ``BATCH`` due procedures that no other worker holds (row locks, skipping the
    locked) and record their outcomes in one transaction. Procedures found past their expiry
    but not final (a meeting still awaiting a capital's confirmation) are added to
    ``waiting`` and passed over for the rest of the sweep, so they never hold up the others."""
    running = [core.State.OPEN, core.State.AWAITING_CONFIRMATION]
    waiting = set() if waiting is None else waiting
    with transaction.atomic():
        at = now or common.now()
        claimed = list(
            Procedure.objects.select_for_update(skip_locked=True)
            .filter(state__in=running, expires_at__lte=at)
            .exclude(pk__in=waiting)
            .order_by("expires_at", "pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not claimed:
            return -1  # nothing (more) to record in this sweep
        outcomes = [
            (p, evaluate(p, at))
            for p in with_history(Procedure.objects.filter(pk__in=claimed)).order_by(
                "expires_at", "pk"
            )
        ]
        final = [(p, ev) for p, ev in outcomes if ev.state.final]
        waiting.update(p.pk for p, ev in outcomes if not ev.state.final)
        return _record_expiries(final, at) if final else 0


def record_due_outcomes(now: datetime | None = None, seconds: float = 10.0) -> int:
    """One sweep of the worker: record outcomes whose expiry has passed, a batch at a time, for
    at most ``seconds`` (the worker's other duties wait meanwhile). A batch that fails is
    retried one procedure at a time, so that one bad procedure cannot hold up the others."""
    import time

    recorded = 0
    waiting: set[int] = set()
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        try:
            done = _record_batch(now, waiting)
        except Exception:
            log.exception("recording a batch of outcomes failed; retrying one at a time")
            for pk in due(now, limit=BATCH):
                try:
                    recorded += record_outcome(pk, now)
                except Exception:  # retried at the next sweep
                    log.exception("recording the outcome of procedure %s failed", pk)
            break
        if done < 0:
            break
        recorded += done
    return recorded


def listing(
    procedures: Iterable[Procedure], now: datetime | None = None
) -> list[tuple[Procedure, core.Evaluation]]:
    at = now or common.now()
    return [(p, evaluate(p, at)) for p in procedures]
