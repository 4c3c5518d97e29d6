"""Live updates: Server-Sent Events read from the audit chain.

Each event's id is its audit sequence number, so a client that reconnects (the browser sends
``Last-Event-ID``) resumes exactly after the last event it saw: nothing is missed or sent twice.
A page passes ``since`` with the sequence it was rendered at, closing the gap between rendering
and connecting. Any process on any host can serve a stream: the record is the source.

Streams: ``procedure:N``, ``document:REF``, ``topic:CODE``, ``options:ID`` (an options paper),
``commitment:ID`` and ``desk`` (the procedures and topics the reader may see). A reader who may
not see what a stream names gets 404, as on the page.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from concord.domain.references import Reference
from concord.records.models import AuditEvent
from concord.services import access, policy, tokens
from concord.services.audit import CHANNEL

log = logging.getLogger(__name__)

KEEP_ALIVE = 15.0
#: How often an open stream checks again that its reader may still see the procedure.
RECHECK = 30.0
#: With PostgreSQL's notifications working, a stream still looks at the record this often.
SAFETY_POLL = 5.0
#: A stream ends after this long; the browser reconnects at once with Last-Event-ID.
LIFETIME = 300.0


class Wakeup:
    """Wakes the streams of this process when an audit event is committed anywhere.

    On PostgreSQL one connection per process LISTENs on the channel the audit chain NOTIFYs
    (``concord.services.audit.CHANNEL``), so an event raised in any process on any host reaches
    the streams here at once. Elsewhere, or while that connection is down, streams poll.
    """

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.event = asyncio.Event()
        self.listening = False
        self.task: asyncio.Task[None] | None = None

    def current(self) -> asyncio.Event:
        """The event to wait on; take it *before* looking at the record, so that nothing
        committed in between is missed."""
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            self.loop, self.event, self.listening = loop, asyncio.Event(), False
            if connection.vendor == "postgresql":
                self.task = loop.create_task(self._listen(dict(connection.settings_dict)))
        return self.event

    def _fire(self) -> None:
        fired, self.event = self.event, asyncio.Event()
        fired.set()

    async def _listen(self, db: dict) -> None:
        import psycopg

        params = {
            "dbname": db["NAME"],
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
            "connect_timeout": 3,
        }
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    autocommit=True, **{k: v for k, v in params.items() if v is not None}
                )
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.listening = True
                    self._fire()  # look once: something may have passed while not listening
                    async for _note in conn.notifies():
                        self._fire()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database went away: poll meanwhile, and reconnect
                if self.listening:
                    log.warning("live notifications lost (%s); polling until they are back", exc)
                self.listening = False
                await asyncio.sleep(1.0)

    async def wait(self, event: asyncio.Event, poll: float) -> None:
        timeout = max(SAFETY_POLL, poll) if self.listening else poll
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)


wakeup = Wakeup()


def _verified(request: HttpRequest):
    """The reader of a stream: a user signed in with the second factor, or the owner of a
    valid API token sent as ``Authorization: Bearer …`` (national systems follow the same
    streams as the pages; each token use is logged, as on the API)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        token = tokens.authenticate(header[7:].strip())
        if token is None:
            return None
        access.log_read(
            token.user, "stream", f"token:{token.pk} GET {request.path}", None, "token_used"
        )
        return token.user
    user = request.user
    if user.is_authenticated and user.is_verified():
        return user
    return None


def _start(request: HttpRequest) -> int:
    for value in (request.headers.get("Last-Event-ID"), request.GET.get("since")):
        if value and value.isdecimal():
            return int(value)
    latest = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    return latest or 0


def _procedure_events(user, pk: int, after: int, *, checked: bool = False) -> list[AuditEvent]:
    """The procedure's events after ``after``; nothing for a reader who may not see it (a stream
    that has just checked passes ``checked`` to spare the query)."""
    if not checked and not access.procedures(user).filter(pk=pk).exists():
        return []
    return list(
        AuditEvent.objects.filter(seq__gt=after, subject=f"procedure:{pk}").order_by("seq")[:100]
    )


def _desk_events(user, after: int) -> tuple[list[AuditEvent], int]:
    """Events of procedures and of topics (requests for consultations, national measures) the
    reader may see: both show on the desk."""
    events = list(
        AuditEvent.objects.filter(
            Q(subject__startswith="procedure:") | Q(subject__startswith="topic:"), seq__gt=after
        ).order_by("seq")[:200]
    )
    if not events:
        return [], after
    ids = {
        int(e.subject[10:])
        for e in events
        if e.subject.startswith("procedure:") and e.subject[10:].isdecimal()
    }
    codes = {e.subject[6:] for e in events if e.subject.startswith("topic:")}
    visible = {
        f"procedure:{pk}"
        for pk in access.procedures(user).filter(pk__in=ids).values_list("pk", flat=True)
    }
    if codes:
        topics = policy.topics(user).filter(code__in=codes).values_list("code", flat=True)
        visible |= {f"topic:{code}" for code in topics}
    return [e for e in events if e.subject in visible], events[-1].seq


def _message(event: AuditEvent) -> str:
    data = json.dumps({"seq": event.seq, "tag": event.tag, "subject": event.subject})
    return f"id: {event.seq}\nevent: change\ndata: {data}\n\n"


def _released(look):
    """Run one look at the record and give the database connection back at once: a stream is
    open for minutes, and must not hold a pooled connection while it waits."""

    def run(*args, **kwargs):
        try:
            return look(*args, **kwargs)
        finally:
            if not connection.in_atomic_block:  # (a test's transaction keeps its connection)
                connection.close()

    return sync_to_async(run)


def _policy_visible(user, subject: str) -> bool:
    """Whether ``user`` may follow ``topic:CODE``, ``options:ID`` or ``commitment:ID``: the
    policy read side decides, as for the pages."""
    kind, _sep, key = subject.partition(":")
    if kind == "topic":
        return policy.topics(user).filter(code=key).exists()
    if kind == "options":
        return policy.papers(user).filter(pk=int(key)).exists()
    return policy.commitments(user).filter(pk=int(key)).exists()


def _policy_subject(topic: str) -> str | None:
    """``topic`` when it names a topic, an options paper or a commitment; else None."""
    kind, sep, key = topic.partition(":")
    if not sep or not key or len(key) > 64:
        return None
    if kind == "topic":
        return topic
    if kind in ("options", "commitment") and key.isdecimal() and len(key) <= 12:
        return topic
    return None


def _subject_events(subject: str, after: int) -> list[AuditEvent]:
    """The events on one subject (a document, topic, options paper or commitment) after
    ``after``; visibility was checked when the stream opened."""
    return list(AuditEvent.objects.filter(seq__gt=after, subject=subject).order_by("seq")[:100])


def _document_visible(user, reference) -> bool:
    return (
        access.documents(user)
        .filter(series__code=reference.series, year=reference.year, number=reference.number)
        .exists()
    )


async def stream(request: HttpRequest, topic: str) -> HttpResponse:
    user = await _released(_verified)(request)
    if user is None:
        return HttpResponse(status=403)
    pk = (
        int(topic.split(":")[1])
        if topic.startswith("procedure:") and topic[10:].isdecimal()
        else None
    )
    reference = None
    if topic.startswith("document:"):
        try:
            reference, _rev = Reference.parse(topic[9:])
        except ValueError:
            return HttpResponse(status=404)
    subject = _policy_subject(topic)
    if pk is None and reference is None and subject is None and topic != "desk":
        return HttpResponse(status=404)

    def visible() -> bool:
        if reference is not None:
            return _document_visible(user, reference)
        if subject is not None:
            return _policy_visible(user, subject)
        return access.procedures(user).filter(pk=pk).exists()

    watched = pk is not None or reference is not None or subject is not None
    if watched and not await _released(visible)():
        return HttpResponse(status=404)
    after = await _released(_start)(request)
    poll = settings.CONCORD_LIVE_POLL

    async def events() -> AsyncIterator[str]:
        nonlocal after
        yield "retry: 1000\n\n"
        started = quiet = time.monotonic()
        checked = time.monotonic()
        while time.monotonic() - started < LIFETIME:
            event = wakeup.current()
            if watched and time.monotonic() - checked > RECHECK:
                # visibility was checked when the stream opened; look again now and then
                if not await _released(visible)():
                    return
                checked = time.monotonic()
            if reference is not None or subject is not None:
                on = subject if subject is not None else f"document:{reference}"
                found = await _released(_subject_events)(on, after)
                seen = found[-1].seq if found else after
            elif pk is not None:
                found = await _released(_procedure_events)(user, pk, after, checked=True)
                seen = found[-1].seq if found else after
            else:
                found, seen = await _released(_desk_events)(user, after)
            for row in found:  # (not ``event``: that is what the wait below waits on)
                yield _message(row)
            if found:
                quiet = time.monotonic()
            after = seen
            if time.monotonic() - quiet > KEEP_ALIVE:
                yield ": keep-alive\n\n"
                quiet = time.monotonic()
            await wakeup.wait(event, poll)

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
