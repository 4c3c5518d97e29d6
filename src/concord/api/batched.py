"""Positions filed in batches: the API's busiest write, at the cost of a few statements per batch.

``POST /api/procedures/{id}/positions`` with ``Prefer: return=minimal`` (RFC 7240) on PostgreSQL
is answered here, in front of Django, by a desk that each server process runs on its event loop:

- requests that arrive while a batch is being written wait for the next one, so a busy process
  commits many positions per transaction and one audit head lock per batch instead of per write;
- the token, the throttle and the procedure's visibility are checked through Django's own
  services (in one thread, once per token and batch); the procedures are locked in id order,
  then the audit head, as the service does; each position is decided by
  ``concord.domain.filing.plan``, exactly as the service decides it; then the positions, their
  audit events (one chain, linked in memory), the token-use rows and any state change are
  written with one statement each, and the last sequence number is announced once;
- anything this path does not commit it *declines*: the request goes on to Django unchanged and
  gets the full path's answer (an error with its problem document, a position that settles an
  outcome, a request without ``Prefer: return=minimal``, SQLite). A declined request has changed
  nothing, so answering it again is safe;
- a failure whose outcome is unknown (the connection lost during COMMIT) answers 503: never a
  2xx that might not be on record.

The answer is ``201`` with ``Location``, the procedure's new ``ETag`` and a small body
(``PositionFiledOut``); Django answers the same when asked for ``return=minimal``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from concord.domain import procedures as core
from concord.domain.alliance import Actor
from concord.domain.audit import link_hash
from concord.domain.canonical import canonical_json
from concord.domain.errors import DomainError
from concord.domain.filing import Filing, plan
from concord.domain.rules import DecisionRule

log = logging.getLogger(__name__)

ROUTE = re.compile(r"/api/procedures/([1-9][0-9]{0,17})/positions")
#: A position's body is small; anything larger goes to Django, which applies its own limits.
MAX_BODY = 32 * 1024
#: At most this many positions in one transaction.
MAX_BATCH = 256
#: A batch that takes longer than this is abandoned (503, or declined before COMMIT).
BATCH_SECONDS = 15.0
#: Marks a declined request in the ASGI scope: the throttle has already counted it.
COUNTED = "concord.throttle_counted"


def security_headers() -> list[tuple[bytes, bytes]]:
    """The headers Django's middleware adds to every API answer, from the same settings."""
    from csp.utils import build_policy
    from django.conf import settings

    headers = [
        (b"content-security-policy", build_policy().encode()),
        (b"x-frame-options", settings.X_FRAME_OPTIONS.encode()),
        (b"referrer-policy", settings.SECURE_REFERRER_POLICY.encode()),
        (b"cross-origin-opener-policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode()),
    ]
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append((b"x-content-type-options", b"nosniff"))
    if settings.SECURE_HSTS_SECONDS:
        headers.append(
            (b"strict-transport-security", f"max-age={settings.SECURE_HSTS_SECONDS}".encode())
        )
    return headers


def wants_minimal(prefer: bytes) -> bool:
    """``Prefer: return=minimal`` among the preferences (RFC 7240, case-insensitive)."""
    for part in prefer.decode("latin-1").split(","):
        if part.split(";", 1)[0].strip().lower().replace(" ", "") == "return=minimal":
            return True
    return False


class Decline(Exception):
    """This batch or request is for the full path."""


@dataclass(eq=False)
class Pending:
    procedure: int
    token: str
    path: str
    state: str
    kind: core.PositionKind
    statement: str
    paragraph: int | None
    grounds: str
    future: asyncio.Future[Answer]
    # Filled by the resolver (Django): who files it, and whether the throttle counted it.
    user_id: int = 0
    actor: Actor | None = None
    token_id: int = 0
    counted: bool = False
    logged_at: datetime | None = None


@dataclass(frozen=True)
class Answer:
    """``status`` 0 declines (the full path answers); otherwise the response to send."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] = ()
    counted: bool = False


UNKNOWN = Answer(
    503,
    json.dumps(
        {
            "type": "about:blank",
            "title": "Service unavailable",
            "status": 503,
            "detail": "the database connection was lost while committing: the position may or "
            "may not be on record; read the procedure before filing it again",
            "code": "unavailable",
        }
    ).encode(),
    ((b"content-type", b"application/problem+json"), (b"retry-after", b"5")),
)


# -- the resolver: Django, in one thread ---------------------------------------------------------


@dataclass
class Resolved:
    partner_states: frozenset[str] = frozenset()
    declined: set[int] = field(default_factory=set)  # indexes into the batch


def resolve(batch: list[Pending]) -> Resolved:
    """Authenticate, throttle and check visibility as the full path does (Django's ORM, in the
    desk's thread). A request any check refuses is declined: the full path refuses it."""
    from types import SimpleNamespace

    from django.db import close_old_connections
    from django.utils import timezone

    from concord.alliance.models import Membership
    from concord.api.routes import TokenRateThrottle
    from concord.domain.alliance import MembershipKind
    from concord.services import access
    from concord.services import tokens as token_service

    out = Resolved()
    try:
        by_token: dict[str, list[int]] = {}
        for i, p in enumerate(batch):
            by_token.setdefault(p.token, []).append(i)
        throttle = TokenRateThrottle()
        for plain, indexes in by_token.items():
            token = token_service.authenticate(plain)
            if token is None or token.scope != "write":
                out.declined.update(indexes)
                continue
            user = token.user
            wanted = {batch[i].procedure for i in indexes}
            visible = set(
                access.procedures(user).filter(pk__in=wanted).values_list("pk", flat=True)
            )
            actor = user.to_actor()
            seen = [i for i in indexes if batch[i].procedure in visible]
            out.declined.update(i for i in indexes if batch[i].procedure not in visible)
            allowed, _wait = throttle.take(SimpleNamespace(auth=token), len(seen))
            out.declined.update(seen[allowed:])  # over the rate: the full path answers 429
            at = timezone.now()
            for i in seen[:allowed]:
                p = batch[i]
                p.user_id, p.actor, p.token_id = user.pk, actor, token.pk
                p.counted, p.logged_at = True, at
        out.partner_states = frozenset(
            Membership.objects.filter(kind=MembershipKind.PARTNER).values_list(
                "state_id", flat=True
            )
        )
        return out
    finally:
        close_old_connections()


# -- what the desk knows of a procedure between batches ------------------------------------------


@dataclass
class Known:
    """A procedure's participants and committed entries, as last read under its lock. Positions
    are append-only and filed only under the procedure's row lock, so the entries committed
    since are exactly those with a larger id; the count of those up to ``upto`` proves the
    rest is still what the database holds."""

    opened_at: datetime
    participants: tuple[str, ...]
    populations: dict[str, Decimal]
    entries: list[core.Entry]

    @property
    def upto(self) -> int:
        return self.entries[-1].seq if self.entries else 0


def _entry(row: tuple[Any, ...]) -> core.Entry:
    seq, state, kind, at, ministerial, statement, paragraph = row
    return core.Entry(seq, state, core.PositionKind(kind), at, ministerial, statement, paragraph)


ENTRY_COLUMNS = "p.id, p.state_id, p.kind, p.at, p.ministerial, p.statement, p.paragraph"


PROCEDURE_COLUMNS = (
    "p.id, p.kind, p.rule, p.minimum_silence, p.ministerial_objections, p.coalitions_within,"
    " p.opened_at, p.expires_at, p.concluded_at, p.withdrawn_at, p.state, b.chair_id,"
    " b.secretary_id"
)


@dataclass
class Batch:
    pending: list[Pending]
    live: list[Pending] = field(default_factory=list)
    partner_states: frozenset[str] = frozenset()


class Desk:
    """One per server process: batches positions and commits them on its own connection.

    Two stages run at once: while one batch is written, the next is resolved (in the desk's
    thread), so a batch costs the longer of the two, not their sum; requests that arrive
    meanwhile wait for the batch after."""

    def __init__(self, settings_dict: dict[str, Any]) -> None:
        self.settings_dict = settings_dict
        self.queue: list[Pending] = []
        self.wake = asyncio.Event()
        self.resolved: Batch | None = None  # handed from the resolving to the writing stage
        self.given = asyncio.Event()
        self.taken = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        self.conn: Any = None
        self.known: dict[int, Known] = {}
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="concord-desk")
        self.batches = 0
        self.committed = 0

    async def submit(self, pending: Pending) -> Answer:
        if not self.tasks or any(t.done() for t in self.tasks):
            for t in self.tasks:
                t.cancel()
            loop = asyncio.get_running_loop()
            self._settle(self.resolved.live if self.resolved else [])
            self.resolved = None
            self.tasks = [loop.create_task(self._resolving()), loop.create_task(self._writing())]
        self.queue.append(pending)
        self.wake.set()
        return await pending.future

    @staticmethod
    def _settle(pending: list[Pending]) -> None:
        for p in pending:  # whatever happened, nobody waits for ever: the full path answers
            if not p.future.done():
                p.future.set_result(Answer(0, counted=p.counted))

    async def _resolving(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.queue:
                while self.resolved is not None:  # the writer is busy: let the next batch grow
                    self.taken.clear()
                    await self.taken.wait()
                batch = Batch(self.queue[:MAX_BATCH])
                del self.queue[:MAX_BATCH]
                try:
                    resolved = await loop.run_in_executor(self.thread, resolve, batch.pending)
                except Exception:
                    log.exception("positions could not be resolved")
                    self._settle(batch.pending)
                    continue
                batch.live = [p for i, p in enumerate(batch.pending) if i not in resolved.declined]
                batch.partner_states = resolved.partner_states
                self._settle([batch.pending[i] for i in resolved.declined])
                if batch.live:
                    self.resolved = batch
                    self.given.set()

    async def _writing(self) -> None:
        while True:
            while self.resolved is None:
                self.given.clear()
                await self.given.wait()
            batch, self.resolved = self.resolved, None
            self.taken.set()
            try:
                await self._commit(batch)
            except Exception:
                log.exception("a batch of %d positions failed", len(batch.live))
            finally:
                self._settle(batch.live)

    # -- one batch ------------------------------------------------------------------------------

    async def _connect(self) -> Any:
        import psycopg

        if self.conn is not None and not self.conn.closed and not self.conn.broken:
            return self.conn
        if self.conn is not None:
            with contextlib.suppress(Exception):
                await self.conn.close()
        s = self.settings_dict
        options = s.get("OPTIONS", {})
        self.conn = await psycopg.AsyncConnection.connect(
            dbname=s["NAME"],
            user=s.get("USER") or None,
            password=s.get("PASSWORD") or None,
            host=s.get("HOST") or None,
            port=str(s["PORT"]) if s.get("PORT") else None,
            connect_timeout=int(options.get("connect_timeout", 3)),
            options="-c TimeZone=UTC -c lock_timeout=5000 -c statement_timeout=10000",
            application_name="concord-desk",
        )
        return self.conn

    async def _commit(self, batch: Batch) -> None:
        live = batch.live
        try:
            conn = await self._connect()
        except Exception:
            log.warning("the desk cannot reach the database: the full path answers")
            return  # declined: Django answers (503 while the database is down)
        committing = False
        try:
            async with asyncio.timeout(BATCH_SECONDS):
                async with conn.pipeline():
                    answers, known = await self._write(conn, live, batch.partner_states)
                    committing = True
                    await conn.commit()
        except Exception as exc:
            if isinstance(exc, Decline):
                await conn.rollback()
            else:  # a connection in doubt is not used again, nor what it read
                self.known.clear()
                self.conn = None
                with contextlib.suppress(Exception):
                    await conn.close()
            if committing:
                log.error("commit of %d positions failed: outcome unknown (%s)", len(live), exc)
                for p in live:
                    if not p.future.done():
                        p.future.set_result(UNKNOWN)
            elif not isinstance(exc, Decline):
                log.warning("a batch of %d positions goes to the full path: %s", len(live), exc)
            return
        self.known.update(known)
        self.batches += 1
        self.committed += len(answers)
        for p in live:
            if (answer := answers.get(id(p))) is not None:
                p.future.set_result(answer)

    async def _write(
        self, conn: Any, live: list[Pending], partner_states: frozenset[str]
    ) -> tuple[dict[int, Answer], dict[int, Known]]:
        """Every statement of the batch; in pipeline mode, so that the statements whose
        results are not needed at once share a round trip."""
        from django.utils import timezone

        from concord.services.audit import CHANNEL

        ids = sorted({p.procedure for p in live})
        locked = await conn.execute(
            f"SELECT {PROCEDURE_COLUMNS} FROM procedures_procedure p JOIN alliance_body b"
            " ON b.id = p.body_id WHERE p.id = ANY(%s::bigint[]) ORDER BY p.id FOR UPDATE OF p",
            [ids],
        )
        history = await self._history(conn, ids)
        allocated = await conn.execute(
            "SELECT nextval(pg_get_serial_sequence('procedures_position', 'id'))"
            " FROM generate_series(1, %s)",
            [len(live)],
        )
        procedures = {r[0]: r for r in await locked.fetchall()}  # one round trip for all four
        known = await history(procedures)
        new_ids = [r[0] for r in await allocated.fetchall()]
        at = timezone.now()
        filed: list[tuple[Pending, int, Filing]] = []
        states: dict[int, str] = {}
        for p, position_id in zip(live, new_ids, strict=True):
            row = procedures.get(p.procedure)
            if row is None or p.actor is None:
                continue  # gone since it was checked: the full path answers 404
            k = known[p.procedure]
            spec = core.Spec(
                kind=core.Kind(row[1]),
                rule=DecisionRule.from_data(row[2]),
                participants=k.participants,
                opened_at=row[6],
                expires_at=row[7],
                settings=core.Settings(row[3], row[4], row[5]),
                populations=k.populations,
                concluded_at=row[8],
                withdrawn_at=row[9],
            )
            try:
                f = plan(
                    spec,
                    k.entries,
                    number=p.procedure,
                    actor=p.actor,
                    state=p.state,
                    kind=p.kind,
                    statement=p.statement,
                    paragraph=p.paragraph,
                    grounds=p.grounds,
                    at=at,
                    seq=position_id,
                    records_for_body=p.user_id in (row[11], row[12]),
                    partner_states=partner_states,
                )
            except DomainError:
                continue  # refused: the full path refuses it with its problem document
            if f.after.state.final:
                continue  # it settles the outcome: the service records the decision
            k.entries.append(f.entry)
            if f.after.state.value != states.get(p.procedure, row[10]):
                states[p.procedure] = f.after.state.value
            filed.append((p, position_id, f))
        if not filed:
            raise Decline("nothing in this batch is for this path")

        # The head is locked last and held only while the batch's rows are written.
        head = await (
            await conn.execute("SELECT seq, hash FROM records_audithead WHERE id = 1 FOR UPDATE")
        ).fetchone()
        if head is None:
            raise Decline("the audit chain has no head yet")
        seq, last_hash = head
        answers: dict[int, Answer] = {}
        positions: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        logs: list[tuple[Any, ...]] = []
        for p, position_id, f in filed:
            assert p.actor is not None
            seq += 1
            payload = canonical_json(f.payload)
            subject = f"procedure:{p.procedure}"
            tag = str(f.tag)
            actor = p.actor.username
            digest = link_hash(
                seq=seq,
                at=at,
                actor=actor,
                tag=tag,
                subject=subject,
                payload=payload,
                prev_hash=last_hash,
            )
            events.append((seq, at, actor, tag, subject, payload, last_hash, digest))
            last_hash = digest
            e = f.entry
            positions.append(
                (
                    position_id,
                    e.kind.value,
                    e.statement,
                    f.grounds,
                    e.paragraph,
                    e.ministerial,
                    at,
                    p.user_id,
                    e.state,
                    p.procedure,
                )
            )
            logs.append((p.logged_at or at, actor, f"token:{p.token_id} POST {p.path}"[:200]))
            answers[id(p)] = _created(p.procedure, position_id, f, seq, len(filed))
        changed = list(states.items())
        await conn.execute(
            WRITE,
            [
                *_columns(positions),
                *_columns(events),
                *_columns(logs),
                [pid for pid, _ in changed],
                [state for _, state in changed],
                seq,
                last_hash,
                CHANNEL,
                str(seq),
            ],
        )
        return answers, known

    async def _history(self, conn: Any, ids: list[int]) -> Any:
        """Send the reads of the locked procedures' participants and entries (what the desk
        knew is checked and brought up to date; the rest is read in full) and return the
        function that assembles them once the procedures' rows are in."""
        cached = {pid: self.known[pid] for pid in ids if pid in self.known}
        fresh = [pid for pid in ids if pid not in cached]
        counted = None
        if cached:
            counted = await conn.execute(
                "SELECT k.pid, (SELECT count(*) FROM procedures_position p"
                " WHERE p.procedure_id = k.pid AND p.id <= k.upto)"
                " FROM unnest(%s::bigint[], %s::bigint[]) AS k(pid, upto)",
                [list(cached), [k.upto for k in cached.values()]],
            )
        members = await conn.execute(
            "SELECT procedure_id, state_id, population_millions FROM procedures_participant"
            " WHERE procedure_id = ANY(%s::bigint[]) ORDER BY procedure_id, state_id",
            [fresh],
        )
        uptos = [cached[pid].upto if pid in cached else 0 for pid in ids]
        newer = await conn.execute(
            f"SELECT p.procedure_id, {ENTRY_COLUMNS} FROM unnest(%s::bigint[], %s::bigint[])"
            " AS k(pid, upto) CROSS JOIN LATERAL (SELECT * FROM procedures_position q"
            " WHERE q.procedure_id = k.pid AND q.id > k.upto) AS p ORDER BY p.id",
            [ids, uptos],
        )

        async def assemble(procedures: dict[int, tuple[Any, ...]]) -> dict[int, Known]:
            counts = dict(await counted.fetchall()) if counted is not None else {}
            known: dict[int, Known] = {}
            for pid, k in cached.items():
                row = procedures.get(pid)
                if row is not None and k.opened_at == row[6] and counts.get(pid) == len(k.entries):
                    known[pid] = Known(k.opened_at, k.participants, k.populations, list(k.entries))
            grouped: dict[int, list[tuple[str, Decimal]]] = {}
            for pid, state, population in await members.fetchall():
                grouped.setdefault(pid, []).append((state, population))
            for pid in fresh:
                if pid in procedures:
                    rows = grouped.get(pid, [])
                    known[pid] = Known(
                        procedures[pid][6], tuple(s for s, _ in rows), dict(rows), []
                    )
            for row in await newer.fetchall():
                if row[0] in known:
                    known[row[0]].entries.append(_entry(row[1:]))
            stale = [pid for pid in cached if pid in procedures and pid not in known]
            if stale:  # what the desk knew no longer holds (rare): read those in full
                self.known = {pid: k for pid, k in self.known.items() if pid not in stale}
                raise Decline(f"procedures {stale} changed under the desk")
            return known

        return assemble


#: The batch's writes in one statement: positions, audit events, token uses, state changes, the
#: audit head, and the notice to live streams (sent by PostgreSQL only if the batch commits).
WRITE = (
    "WITH positions AS (INSERT INTO procedures_position (id, kind, statement, grounds,"
    " paragraph, ministerial, at, filed_by_id, state_id, procedure_id) SELECT * FROM unnest("
    "%s::bigint[], %s::text[], %s::text[], %s::text[], %s::int[], %s::bool[],"
    " %s::timestamptz[], %s::bigint[], %s::text[], %s::bigint[])),"
    " events AS (INSERT INTO records_auditevent (seq, at, actor, tag, subject, payload,"
    " prev_hash, hash) SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[],"
    " %s::text[], %s::text[], %s::text[], %s::text[], %s::text[])),"
    " uses AS (INSERT INTO records_accesslog (at, username, channel, action, subject, level)"
    " SELECT a, u, 'api', 'token_used', s, NULL FROM unnest(%s::timestamptz[], %s::text[],"
    " %s::text[]) AS x(a, u, s)),"
    " states AS (UPDATE procedures_procedure SET state = x.state FROM unnest(%s::bigint[],"
    " %s::text[]) AS x(id, state) WHERE procedures_procedure.id = x.id),"
    " head AS (UPDATE records_audithead SET seq = %s, hash = %s WHERE id = 1)"
    " SELECT pg_notify(%s, %s)"
)


def _columns(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)]


def _created(procedure: int, position: int, filed: Filing, version: int, batch: int) -> Answer:
    body = {
        "id": procedure,
        "position": position,
        "state": filed.after.state.value,
        "pending": list(filed.after.pending),
        "version": version,
    }
    return Answer(
        201,
        json.dumps(body).encode(),
        (
            (b"content-type", b"application/json; charset=utf-8"),
            (b"location", f"/api/procedures/{procedure}".encode()),
            (b"etag", f'"p{procedure}-v{version}"'.encode()),
            (b"preference-applied", b"return=minimal"),
            (b"server-timing", f'batch;desc="{batch} positions in one transaction"'.encode()),
        ),
    )


# -- the ASGI application -------------------------------------------------------------------------


class BatchedPositions:
    """In front of Django: positions for the desk, everything else (and whatever the desk
    declines) to Django."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.desk: Desk | None = None
        self.enabled: bool | None = None
        self.headers: list[tuple[bytes, bytes]] = []

    def _ready(self) -> bool:
        if self.enabled is None:
            from django.conf import settings
            from django.db import connection

            self.enabled = bool(settings.CONCORD_BATCHED_POSITIONS) and (
                connection.vendor == "postgresql"
            )
            self.headers = security_headers()
        return self.enabled

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not (match := ROUTE.fullmatch(scope["path"]))
            or not self._ready()
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        body, complete = await _read(receive)
        pending = (
            _parse(headers, body, complete, int(match[1]), scope["path"]) if complete else None
        )
        if pending is None:
            await self._decline(scope, receive, send, body, complete, counted=False)
            return
        if self.desk is None:
            from django.db import connection

            self.desk = Desk(dict(connection.settings_dict))
        answer = await self.desk.submit(pending)
        if answer.status == 0:
            await self._decline(scope, receive, send, body, True, counted=answer.counted)
            return
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [
                    *answer.headers,
                    (b"content-length", str(len(answer.body)).encode()),
                    *self.headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer.body})

    async def _decline(
        self,
        scope: dict[str, Any],
        receive: Any,
        send: Any,
        body: bytes,
        complete: bool,
        counted: bool,
    ) -> None:
        replayed = False

        async def again() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": not complete}
            return await receive()

        await self.app({**scope, COUNTED: counted}, again, send)


async def _read(receive: Any) -> tuple[bytes, bool]:
    """The request body, up to ``MAX_BODY``; ``complete`` is False if there is more."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > MAX_BODY:
            return b"".join(chunks), False


def _parse(
    headers: dict[bytes, bytes], body: bytes, complete: bool, procedure: int, path: str
) -> Pending | None:
    """The request as a pending position, or None for the full path."""
    if not wants_minimal(headers.get(b"prefer", b"")):
        return None
    auth = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    if headers.get(b"content-type", b"").split(b";")[0].strip().lower() != b"application/json":
        return None
    if not complete or len(body) > MAX_BODY or b"\\u0000" in body or b"\x00" in body:
        return None
    from pydantic import ValidationError

    from concord.api.schemas import PositionIn

    try:
        data = json.loads(body)
        if not isinstance(data, dict):
            return None
        valid = PositionIn.model_validate(data)
    except (ValueError, ValidationError):
        return None
    return Pending(
        procedure=procedure,
        token=token.strip(),
        path=path,
        state=valid.state.strip().upper(),
        kind=core.PositionKind(valid.kind),
        statement=valid.statement,
        paragraph=valid.paragraph,
        grounds=valid.grounds,
        future=asyncio.get_running_loop().create_future(),
    )
