"""Positions filed in batches: the API's busiest write, at the cost of a few statements per batch.

``POST /api/procedures/{id}/positions`` with ``Prefer: return=minimal`` (RFC 7240) on PostgreSQL
is answered here, in front of Django, by a desk that each server process runs on its event loop:

- requests that arrive while a batch is being written wait for the next one, so a busy process
  commits many positions per transaction and one audit head lock per batch instead of per write;
- a batch is three round trips (six statements when its positions share one reader: one more
  for each other reader, and one when a token's last use moves): (1) the procedures locked in
  id order, then the tokens with their owners, memberships and the partner states, and the
  procedures' history with ids for the new positions; (2) which of the procedures each reader
  may see, and the audit head, locked last, as the service does; (3) one statement that writes
  the positions, their audit events (one chain, linked in memory), the token-use rows, any state
  change and the head, and announces the last sequence number, and COMMIT;
- the checks are the full path's own: a token is usable and the reader is built by the same
  functions (``tokens.usable``, ``access.reader_from``), visibility is the same query
  (``access.procedures_for``, compiled once per reader), the throttle is the same bucket, and
  each position is decided by ``concord.domain.filing.plan``, as the service decides it;
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
import functools
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from concord.domain import procedures as core
from concord.domain.alliance import Actor, MembershipKind
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
#: Django's own database options, not psycopg's.
DJANGO_ONLY = frozenset({"pool", "server_side_binding", "isolation_level", "assume_role"})
#: The procedures whose history each desk keeps between batches (the least recently used go).
KNOWN = 5000
#: The tokens whose owner, reader and actor each desk keeps built.
HOLDERS = 256
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
    return headers


def hsts() -> list[tuple[bytes, bytes]]:
    """Strict-Transport-Security, which Django adds to answers over HTTPS only."""
    from django.conf import settings

    if not settings.SECURE_HSTS_SECONDS:
        return []
    return [(b"strict-transport-security", f"max-age={settings.SECURE_HSTS_SECONDS}".encode())]


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
    digest: str  # the token's, as stored: worked out once per request
    path: str
    state: str
    kind: core.PositionKind
    statement: str
    paragraph: int | None
    grounds: str
    future: asyncio.Future[Answer]
    # Filled once its token is checked: who files it, and whether the throttle counted it.
    user_id: int = 0
    actor: Actor | None = None
    reader: Any = None
    token_id: int = 0
    counted: bool = False
    in_doubt: bool = False  # written in a batch whose COMMIT was sent: never the full path's


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


# -- reading what a batch needs -------------------------------------------------------------------

#: Each reader's visibility filter on procedures, compiled to SQL once: it depends only on the
#: reader (its role, clearance, state and memberships), never on the time or the data.
_VISIBILITY: dict[Any, tuple[str, tuple[Any, ...]] | None] = {}


def compile_visibility(readers: list[Any]) -> None:
    """Compile ``access.procedures_for`` for these readers (Django's ORM builds the SQL; run in
    a thread, off the event loop; no query is made)."""
    from django.core.exceptions import EmptyResultSet

    from concord.services import access

    for reader in readers:
        query = access.procedures_for(reader).order_by().values_list("pk", flat=True).query
        try:
            _VISIBILITY[reader] = query.sql_with_params()
        except EmptyResultSet:
            _VISIBILITY[reader] = None  # this reader sees no procedure at all


TOKEN_COLUMNS = (
    "t.id, t.digest, t.prefix, t.scope, t.revoked_at, t.expires_at, t.last_used_at, u.id,"
    " u.username, u.role, u.state_id, u.ministerial_authority, u.is_active, u.clearance"
)
#: The batch's tokens with their owners, each owner's state's memberships (as arrays) and the
#: partner states (the same array on every row).
TOKENS = (
    f"SELECT {TOKEN_COLUMNS}, m.kinds, m.sinces, m.untils,"
    " (SELECT array_agg(state_id ORDER BY state_id) FROM alliance_membership WHERE kind = %b)"
    " FROM api_apitoken t JOIN alliance_user u ON u.id = t.user_id LEFT JOIN LATERAL"
    " (SELECT array_agg(kind ORDER BY id) AS kinds, array_agg(since ORDER BY id) AS sinces,"
    " array_agg(until ORDER BY id) AS untils FROM alliance_membership"
    " WHERE state_id = u.state_id) AS m ON true WHERE t.digest = ANY(%b::text[])"
)
PROCEDURE_COLUMNS = (
    "p.id, p.kind, p.rule, p.minimum_silence, p.ministerial_objections, p.coalitions_within,"
    " p.opened_at, p.expires_at, p.concluded_at, p.withdrawn_at, p.state, b.chair_id,"
    " b.secretary_id"
)


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
    seq, state, kind, at, ministerial, paragraph = row
    return core.Entry(seq, state, core.PositionKind(kind), at, ministerial, "", paragraph)


def _json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


#: A batch's history in one statement, run once its procedures are locked, as rows tagged
#: ``c`` (how many positions each procedure the desk knew has up to the last it knew), ``m``
#: (the participants of those it did not know), ``n`` (the positions newer than the desk knew,
#: without their text: an outcome's annotations are never the desk's to write, a position that
#: settles one goes to the service; read per procedure through the (procedure, id) index: OFFSET 0 keeps the planner from turning this
#: into a join over the whole table) and ``a`` (ids for the new positions).
HISTORY = (
    "SELECT 'c', k.pid, (SELECT count(*) FROM procedures_position p WHERE p.procedure_id = k.pid"
    " AND p.id <= k.upto), NULL::text, NULL::text, NULL::timestamptz, NULL::bool, NULL::int,"
    " NULL::numeric FROM unnest(%b::bigint[], %b::bigint[]) AS k(pid, upto)"
    " UNION ALL SELECT 'm', procedure_id, NULL, state_id, NULL, NULL, NULL, NULL,"
    " population_millions FROM procedures_participant WHERE procedure_id = ANY(%b::bigint[])"
    " UNION ALL SELECT 'n', q.procedure_id, q.id, q.state_id, q.kind, q.at, q.ministerial,"
    " q.paragraph, NULL"
    " FROM unnest(%b::bigint[], %b::bigint[]) AS k(pid, upto) CROSS JOIN LATERAL (SELECT *"
    " FROM procedures_position q WHERE q.procedure_id = k.pid AND q.id > k.upto OFFSET 0) AS q"
    " UNION ALL SELECT 'a', NULL, nextval(pg_get_serial_sequence('procedures_position', 'id')),"
    " NULL, NULL, NULL, NULL, NULL, NULL FROM generate_series(1, %b)"
)


#: The batch's writes in one statement: positions, audit events, token uses, state changes, the
#: audit head, and the notice to live streams (sent by PostgreSQL only if the batch commits). The
#: tokens' last use is moved before the head is locked (revoking a token locks it, then the head).
#: The rows go as JSON documents (one parameter per table, read by ``json_to_recordset``): encoding
#: them is one call to the standard library's C encoder, where arrays would cost Python work for
#: every value. Every row of a batch has the batch's instant.
WRITE = (
    "WITH positions AS (INSERT INTO procedures_position (id, kind, statement, grounds,"
    " paragraph, ministerial, at, filed_by_id, state_id, procedure_id) SELECT x.id, x.kind,"
    " x.statement, x.grounds, x.paragraph, x.ministerial, %(at)s, x.filed_by_id, x.state_id,"
    " x.procedure_id FROM json_to_recordset(%(positions)s::json) AS x(id bigint, kind text,"
    " statement text, grounds text, paragraph int, ministerial bool, filed_by_id bigint,"
    " state_id text, procedure_id bigint)),"
    " events AS (INSERT INTO records_auditevent (seq, at, actor, tag, subject, payload,"
    " prev_hash, hash) SELECT x.seq, %(at)s, x.actor, x.tag, x.subject, x.payload, x.prev_hash,"
    " x.hash FROM json_to_recordset(%(events)s::json) AS x(seq bigint, actor text, tag text,"
    " subject text, payload text, prev_hash text, hash text)),"
    " uses AS (INSERT INTO records_accesslog (at, username, channel, action, subject, level)"
    " SELECT %(at)s, x.username, 'api', 'token_used', x.subject, NULL"
    " FROM json_to_recordset(%(uses)s::json) AS x(username text, subject text)),"
    " states AS (UPDATE procedures_procedure SET state = x.state"
    " FROM json_to_recordset(%(states)s::json) AS x(id bigint, state text)"
    " WHERE procedures_procedure.id = x.id),"
    " head AS (UPDATE records_audithead SET seq = %(seq)s, hash = %(hash)s WHERE id = 1)"
    " SELECT pg_notify(%(channel)s, %(seq)s::text)"
)


class Desk:
    """One per server process: batches positions and commits them on its own connection.
    Requests that arrive while a batch is being written wait for the next one."""

    def __init__(self, settings_dict: dict[str, Any]) -> None:
        self.settings_dict = settings_dict
        self.queue: list[Pending] = []
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.conn: Any = None
        self.known: dict[int, Known] = {}
        # Tokens as last read (every column, the owner's memberships, the day) with the token,
        # user, reader and actor built from them: a token that has not changed is not rebuilt.
        self.holders: dict[tuple[Any, ...], tuple[Any, Any, Any, Actor]] = {}
        self.batches = 0
        self.committed = 0

    async def submit(self, pending: Pending) -> Answer:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._serve())
        self.queue.append(pending)
        self.wake.set()
        return await pending.future

    async def close(self) -> None:
        """Stop serving and close the connection (what is queued goes to the full path)."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        _settle(self.queue)
        self.queue = []
        if self.conn is not None:
            with contextlib.suppress(Exception):
                await self.conn.close()
            self.conn = None

    async def _serve(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.queue:
                batch = self.queue[:MAX_BATCH]
                del self.queue[:MAX_BATCH]
                try:
                    await self._commit(batch)
                except Exception:
                    log.exception("a batch of %d positions failed", len(batch))
                finally:
                    _settle(batch)

    async def _connect(self) -> Any:
        import psycopg

        if self.conn is not None and not self.conn.closed and not self.conn.broken:
            return self.conn
        if self.conn is not None:
            with contextlib.suppress(Exception):
                await self.conn.close()
        s = self.settings_dict
        # The deployment's connection options (sslmode, certificates, …) as Django passes them,
        # without those only Django understands.
        options = {k: v for k, v in s.get("OPTIONS", {}).items() if k not in DJANGO_ONLY}
        extra = "-c TimeZone=UTC -c lock_timeout=5000 -c statement_timeout=10000"
        options["options"] = f"{options.get('options', '')} {extra}".strip()
        options.setdefault("connect_timeout", 3)
        self.conn = await psycopg.AsyncConnection.connect(
            dbname=s["NAME"],
            user=s.get("USER") or None,
            password=s.get("PASSWORD") or None,
            host=s.get("HOST") or None,
            port=str(s["PORT"]) if s.get("PORT") else None,
            application_name="concord-desk",
            **options,
        )
        return self.conn

    async def _commit(self, batch: list[Pending]) -> None:
        try:
            conn = await self._connect()
        except Exception:
            log.warning("the desk cannot reach the database: the full path answers")
            return  # declined: Django answers (503 while the database is down)
        answers: dict[int, Answer] = {}
        committing = False
        try:
            async with asyncio.timeout(BATCH_SECONDS):
                async with conn.pipeline():
                    answers, known = await self._write(conn, batch)
                    # The writes and COMMIT go together: an error of the writes comes back with
                    # its SQLSTATE and COMMIT is skipped (a known rollback); only a connection
                    # lost on the way leaves the outcome unknown.
                    committing = True
                    for p in batch:
                        p.in_doubt = id(p) in answers
                    await conn.commit()
        except Exception as exc:
            # A server error at COMMIT on a sound connection is a known rollback; a lost
            # connection (or a timeout) while committing leaves the outcome unknown.
            unknown = committing and (getattr(exc, "sqlstate", None) is None or conn.broken)
            if isinstance(exc, Decline) or (committing and not unknown):
                try:
                    async with asyncio.timeout(5):
                        await conn.rollback()
                except Exception:
                    self._forget(conn)
            else:  # a connection in doubt is not used again, nor what it read
                self._forget(conn)
            if unknown:
                log.error("commit of %d positions failed: outcome unknown (%s)", len(answers), exc)
                for p in batch:
                    if p.in_doubt and not p.future.done():
                        p.future.set_result(UNKNOWN)
            else:
                for p in batch:
                    p.in_doubt = False  # rolled back: the full path may answer it
                if not isinstance(exc, Decline):
                    log.warning(
                        "a batch of %d positions goes to the full path: %s", len(batch), exc
                    )
            return
        self._remember(known)
        self.batches += 1
        self.committed += len(answers)
        for p in batch:
            if (answer := answers.get(id(p))) is not None and not p.future.done():
                p.future.set_result(answer)

    def _forget(self, conn: Any) -> None:
        self.known.clear()
        if self.conn is conn:
            self.conn = None
        asyncio.get_running_loop().create_task(_close(conn))

    def _remember(self, known: dict[int, Known]) -> None:
        """Keep what the batch read, the most recently used last, up to ``KNOWN`` procedures."""
        for pid, k in known.items():
            self.known.pop(pid, None)
            self.known[pid] = k
        while len(self.known) > KNOWN:
            del self.known[next(iter(self.known))]

    async def _write(
        self, conn: Any, batch: list[Pending]
    ) -> tuple[dict[int, Answer], dict[int, Known]]:
        """Every statement of the batch, in pipeline mode: statements whose results are not
        needed at once share a round trip."""
        from django.utils import timezone

        from concord.services.audit import CHANNEL

        # (1) The procedures, locked in id order; then, read once the locks are held: the tokens
        # with their owners, memberships and the partner states, and each procedure's history
        # with ids for the new positions.
        ids = sorted({p.procedure for p in batch})
        locked = await conn.execute(
            f"SELECT {PROCEDURE_COLUMNS} FROM procedures_procedure p JOIN alliance_body b"
            " ON b.id = p.body_id WHERE p.id = ANY(%b::bigint[]) ORDER BY p.id FOR UPDATE OF p",
            [ids],
        )
        tokens = await conn.execute(
            TOKENS, [MembershipKind.PARTNER.value, sorted({p.digest for p in batch})]
        )
        history = await self._history(conn, ids, len(batch))
        procedures = {r[0]: r for r in await locked.fetchall()}  # locked: now read the clock,
        at = timezone.now()  # as the service does, so that no lock wait hides behind an instant
        found = await tokens.fetchall()
        touch = self._check_tokens(batch, found, at)
        partner_states = frozenset(found[0][-1] or ()) if found else frozenset()
        known, new_ids = await history(procedures)
        if touch:  # before the head, as revoking a token locks it: token, then head
            await conn.execute(
                "UPDATE api_apitoken SET last_used_at = %b WHERE id = ANY(%b::bigint[])",
                [at, touch],
            )

        # (2) Which procedures each reader may see; the audit head, locked last: held while the
        # batch is planned and its rows written.
        live = [p for p in batch if p.actor is not None and p.procedure in procedures]
        if not live:
            raise Decline("no position in this batch has a usable token and a procedure")
        visibility = await self._check_visibility(conn, live)
        head_row = await conn.execute(
            "SELECT seq, hash FROM records_audithead WHERE id = 1 FOR UPDATE"
        )
        await visibility()
        live = [p for p in live if p.actor is not None]

        filed: list[tuple[Pending, int, Filing]] = []
        states: dict[int, str] = {}
        for p, position_id in zip(live, new_ids, strict=False):
            row = procedures[p.procedure]
            if core.State(row[10]).final:
                continue  # its outcome is on record: the full path answers
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
            assert p.actor is not None
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
            except Exception:
                log.exception(
                    "position %s on procedure %s goes to the full path", p.kind, p.procedure
                )
                continue
            if f.after.state.final:
                continue  # it settles the outcome: the service records the decision
            e = f.entry  # kept without its text: the desk never writes an outcome's annotations
            k.entries.append(
                core.Entry(e.seq, e.state, e.kind, e.at, e.ministerial, "", e.paragraph)
            )
            if f.after.state.value != states.get(p.procedure, row[10]):
                states[p.procedure] = f.after.state.value
            filed.append((p, position_id, f))
        if not filed:
            raise Decline("nothing in this batch is for this path")

        head = await head_row.fetchone()
        if head is None:
            raise Decline("the audit chain has no head yet")
        seq, last_hash = head
        answers: dict[int, Answer] = {}
        positions: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        uses: list[dict[str, str]] = []
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
            events.append(
                {
                    "seq": seq,
                    "actor": actor,
                    "tag": tag,
                    "subject": subject,
                    "payload": payload,
                    "prev_hash": last_hash,
                    "hash": digest,
                }
            )
            last_hash = digest
            e = f.entry
            positions.append(
                {
                    "id": position_id,
                    "kind": e.kind.value,
                    "statement": e.statement,
                    "grounds": f.grounds,
                    "paragraph": e.paragraph,
                    "ministerial": e.ministerial,
                    "filed_by_id": p.user_id,
                    "state_id": e.state,
                    "procedure_id": p.procedure,
                }
            )
            uses.append({"username": actor, "subject": f"token:{p.token_id} POST {p.path}"[:200]})
            answers[id(p)] = _created(p.procedure, position_id, f, seq)

        # (3) Everything written in one statement, and COMMIT.
        await conn.execute(
            WRITE,
            {
                "at": at,
                "positions": _json(positions),
                "events": _json(events),
                "uses": _json(uses),
                "states": _json([{"id": pid, "state": state} for pid, state in states.items()]),
                "seq": seq,
                "hash": last_hash,
                "channel": CHANNEL,
            },
        )
        return answers, known

    def _check_tokens(
        self,
        batch: list[Pending],
        tokens: list[tuple[Any, ...]],
        at: datetime,
    ) -> list[int]:
        """Fill in who files each position whose token is usable for writing and within its
        rate; the others are left for the full path. The tokens whose last use is to move."""
        from types import SimpleNamespace

        from concord.alliance.models import User
        from concord.api.models import ApiToken
        from concord.api.routes import TokenRateThrottle
        from concord.domain.alliance import Membership
        from concord.services import access
        from concord.services import tokens as token_service

        found = {row[1]: row for row in tokens}
        throttle = TokenRateThrottle()
        touch: list[int] = []
        waiting: dict[str, list[Pending]] = {}
        for p in batch:
            waiting.setdefault(p.digest, []).append(p)
        for digest, pending in waiting.items():
            row = found.get(digest)
            if row is None or not pending[0].token.startswith(token_service.PREFIX):
                continue
            kinds, sinces, untils = (tuple(column or ()) for column in row[14:17])
            key = (*row[:14], kinds, sinces, untils, at.date())
            holder = self.holders.get(key)
            if holder is None:  # built from the row as the full path builds them, once a day
                token = ApiToken(
                    id=row[0],
                    prefix=row[2],
                    scope=row[3],
                    revoked_at=row[4],
                    expires_at=row[5],
                    last_used_at=row[6],
                    user_id=row[7],
                )
                user = User(
                    id=row[7],
                    username=row[8],
                    role=row[9],
                    state_id=row[10],
                    ministerial_authority=row[11],
                    is_active=row[12],
                    clearance=row[13],
                )
                memberships = [
                    Membership(user.state_id, MembershipKind(kind), since, until)
                    for kind, since, until in zip(kinds, sinces, untils, strict=True)
                ]
                reader = access.reader_from(user, memberships, at.date(), True)
                holder = (token, user, reader, user.to_actor())
                if len(self.holders) >= HOLDERS:
                    self.holders.clear()
                self.holders[key] = holder
            token, user, reader, actor = holder
            if not token_service.usable(token, user, at) or token.scope != ApiToken.Scope.WRITE:
                continue
            if token_service.stale_use(token, at):
                touch.append(token.pk)
            allowed, _wait = throttle.take(SimpleNamespace(auth=token), len(pending))
            for p in pending[:allowed]:  # the rest is over the rate: the full path answers 429
                p.user_id, p.actor, p.reader, p.token_id = user.pk, actor, reader, token.pk
                p.counted = True
        return touch

    async def _check_visibility(self, conn: Any, live: list[Pending]) -> Any:
        """Send one query per reader for the procedures it may see, and return the function that,
        once they are answered, leaves for the full path (which answers 404) each position on a
        procedure its reader may not see."""
        readers: dict[Any, set[int]] = {}
        for p in live:
            readers.setdefault(p.reader, set()).add(p.procedure)
        if len(_VISIBILITY) + len(readers) > 1000:
            _VISIBILITY.clear()  # before this batch's readers are compiled, not after
        missing = [r for r in readers if r not in _VISIBILITY]
        if missing:
            await asyncio.get_running_loop().run_in_executor(None, compile_visibility, missing)
        asked = []
        for reader, wanted in readers.items():
            compiled = _VISIBILITY.get(reader)
            if compiled is None:
                asked.append((reader, None))
                continue
            sql, params = compiled
            asked.append(
                (
                    reader,
                    await conn.execute(
                        f"SELECT v.id FROM ({sql}) AS v(id) WHERE v.id = ANY(%s::bigint[])",
                        [*params, sorted(wanted)],
                    ),
                )
            )

        async def leave_unseen() -> None:
            visible: dict[Any, set[int]] = {}
            for reader, cursor in asked:
                visible[reader] = {r[0] for r in await cursor.fetchall()} if cursor else set()
            for p in live:
                if p.procedure not in visible[p.reader]:
                    p.actor = None  # the full path answers: 404

        return leave_unseen

    async def _history(self, conn: Any, ids: list[int], allocate: int) -> Any:
        """Send, in one statement, what the locked procedures' history needs (what the desk
        knew is checked and brought up to date; the rest is read in full) and ``allocate`` ids
        for new positions; return the function that assembles them once the procedures' rows
        are in: ``(known, ids)``."""
        cached = {pid: self.known[pid] for pid in ids if pid in self.known}
        fresh = [pid for pid in ids if pid not in cached]
        uptos = [cached[pid].upto if pid in cached else 0 for pid in ids]
        answer = await conn.execute(
            HISTORY,
            [list(cached), [k.upto for k in cached.values()], fresh, ids, uptos, allocate],
        )

        async def assemble(
            procedures: dict[int, tuple[Any, ...]],
        ) -> tuple[dict[int, Known], list[int]]:
            counts: dict[int, int] = {}
            grouped: dict[int, list[tuple[str, Decimal]]] = {}
            newer: list[tuple[Any, ...]] = []
            allocated: list[int] = []
            for (
                tag,
                pid,
                number,
                state,
                kind,
                at,
                ministerial,
                paragraph,
                population,
            ) in await answer.fetchall():
                if tag == "n":
                    newer.append((pid, number, state, kind, at, ministerial, paragraph))
                elif tag == "m":
                    grouped.setdefault(pid, []).append((state, population))
                elif tag == "c":
                    counts[pid] = number
                else:
                    allocated.append(number)
            known: dict[int, Known] = {}
            for pid, k in cached.items():
                row = procedures.get(pid)
                if row is not None and k.opened_at == row[6] and counts.get(pid) == len(k.entries):
                    known[pid] = Known(k.opened_at, k.participants, k.populations, list(k.entries))
            for pid in fresh:
                if pid in procedures:
                    rows = sorted(grouped.get(pid, []))
                    known[pid] = Known(
                        procedures[pid][6], tuple(s for s, _ in rows), dict(rows), []
                    )
            for row in sorted(newer, key=itemgetter(1)):
                if row[0] in known:
                    known[row[0]].entries.append(_entry(row[1:]))
            stale = [pid for pid in cached if pid in procedures and pid not in known]
            if stale:  # what the desk knew no longer holds (rare): read those in full
                self.known = {pid: k for pid, k in self.known.items() if pid not in stale}
                raise Decline(f"procedures {stale} changed under the desk")
            return known, sorted(allocated)

        return assemble


def _settle(pending: list[Pending]) -> None:
    """Whatever happened, nobody waits for ever: what was not answered goes to the full path,
    except a position whose COMMIT was sent (its outcome is unknown: 503)."""
    for p in pending:
        if not p.future.done():
            p.future.set_result(UNKNOWN if p.in_doubt else Answer(0, counted=p.counted))


async def _close(conn: Any) -> None:
    with contextlib.suppress(Exception):
        await conn.close()


def _digest(token: str) -> str:
    from concord.services.tokens import digest

    return digest(token)


def _created(procedure: int, position: int, filed: Filing, version: int) -> Answer:
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
            (b"server-timing", b'batch;desc="committed with others in one transaction"'),
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
            _watch_settings()
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
        if (
            scope.get("query_string")
            or len(headers) != len(scope["headers"])  # a repeated header: Django joins them
            or not _for_the_desk(headers)
        ):
            await self.app(scope, receive, send)
            return
        body, complete = await _read(receive)
        pending = _parse(headers, body, int(match[1]), scope["path"]) if complete else None
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
                    *(hsts() if scope.get("scheme") == "https" else []),
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


def _for_the_desk(headers: dict[bytes, bytes]) -> bool:
    """A request the desk may take, by its headers: ``Prefer: return=minimal``, a bearer token,
    JSON, and a ``Host`` Django would accept (``ALLOWED_HOSTS``; otherwise Django answers 400)."""
    from django.conf import settings
    from django.http.request import split_domain_port, validate_host

    if not wants_minimal(headers.get(b"prefer", b"")):
        return False
    parts = headers.get(b"authorization", b"").decode("latin-1").split(" ")
    if parts[0].lower() != "bearer" or len(parts) < 2:
        return False
    if headers.get(b"content-type", b"").split(b";")[0].strip().lower() != b"application/json":
        return False
    if settings.USE_X_FORWARDED_HOST:
        return False  # the host is taken from elsewhere: leave that to Django
    host = headers.get(b"host", b"")
    allowed = _HOSTS.get(host)
    if allowed is None:
        domain, _port = split_domain_port(host.decode("latin-1"))
        allowed = bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)
        if len(_HOSTS) >= 64:
            _HOSTS.clear()
        _HOSTS[host] = allowed
    return allowed


#: Host headers already judged against ``ALLOWED_HOSTS`` (a server sees few distinct ones);
#: forgotten when the setting changes.
_HOSTS: dict[bytes, bool] = {}


def _hosts_changed(*, setting: str, **_: Any) -> None:
    if setting in ("ALLOWED_HOSTS", "USE_X_FORWARDED_HOST"):
        _HOSTS.clear()


def _watch_settings() -> None:
    from django.core.signals import setting_changed

    setting_changed.connect(_hosts_changed, dispatch_uid="concord.api.batched.hosts")


@functools.cache
def plain_position_in() -> Any:
    """``PositionIn`` as a plain pydantic model: the same fields, constraints and settings,
    without django-ninja's wrapper, which reads a dict through a Python object for every field
    (for a JSON object it changes nothing but the cost)."""
    from pydantic import ConfigDict, create_model

    from concord.api.schemas import PositionIn

    fields: dict[str, Any] = {
        name: (field.annotation, field) for name, field in PositionIn.model_fields.items()
    }
    return create_model(
        "PlainPositionIn", __config__=ConfigDict(**PositionIn.model_config), **fields
    )


def _parse(headers: dict[bytes, bytes], body: bytes, procedure: int, path: str) -> Pending | None:
    """The request as a pending position, or None for the full path."""
    token = " ".join(headers[b"authorization"].decode("latin-1").split(" ")[1:])  # as ninja does
    if len(body) > MAX_BODY or b"\\u0000" in body or b"\x00" in body:
        return None
    from pydantic import ValidationError

    try:
        data = json.loads(body)
        if not isinstance(data, dict):
            return None
        valid = plain_position_in().model_validate(data)
        valid.statement.encode()  # a lone surrogate is no UTF-8: the full path answers it
        valid.state.encode()
    except (ValueError, ValidationError):
        return None
    return Pending(
        procedure=procedure,
        token=token,
        digest=_digest(token),
        path=path,
        state=valid.state.strip().upper(),
        kind=core.PositionKind(valid.kind),
        statement=valid.statement,
        paragraph=valid.paragraph,
        grounds=valid.grounds,
        future=asyncio.get_running_loop().create_future(),
    )
