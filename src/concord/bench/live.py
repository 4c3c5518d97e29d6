"""``concord bench live``: how fast a committed event reaches many open live streams.

Ours: ``concord serve --workers N`` on PostgreSQL; one demo user (``sg``) signs in through the
pages (password and second factor), and C connections reuse that session to hold
``/live/procedure:<id>/`` open on the running silence procedure. Then ``fra-head`` breaks silence
through the API. For each stream: the time from the break's audit event ``at`` (taken before its
commit, so the figure errs long) to the arrival of its ``procedure.silence.broken`` line.

Reference: the floor of the mechanism, the same measurement for raw psycopg connections
LISTENing on a channel when one NOTIFY is committed.

Each open stream holds a database connection in the server (its own thread), so the benchmark
first checks that the PostgreSQL server has room for them beside what others use.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from concord.bench import harness
from concord.bench.harness import BenchError, Connection, latency_ms, progress

MARK = b"procedure.silence.broken"
GOAL_P99_MS = 1000.0
#: How long the benchmark waits for the event to reach every stream.
DELIVERY_TIMEOUT = 30.0
CONNECT_TIMEOUT = 120.0
CHANNEL = "concord_bench_live"


# -- reference ------------------------------------------------------------------------------------


async def _listeners(url: str, count: int) -> dict[str, Any]:
    import psycopg

    connections: list[psycopg.AsyncConnection[Any]] = []
    try:
        for _ in range(count):
            conn = await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=5)
            connections.append(conn)
            await conn.execute(f"LISTEN {CHANNEL}")
        arrivals: list[float] = []

        async def listen(conn: psycopg.AsyncConnection[Any]) -> None:
            async for _note in conn.notifies(timeout=DELIVERY_TIMEOUT, stop_after=1):
                arrivals.append(time.time())

        tasks = [asyncio.create_task(listen(c)) for c in connections]
        await asyncio.sleep(0.5)  # every listener is waiting
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as notifier:
            sent = time.time()
            await notifier.execute(f"NOTIFY {CHANNEL}, 'bench'")
            committed = time.time()
        await asyncio.wait_for(asyncio.gather(*tasks), DELIVERY_TIMEOUT + 5)
    finally:
        for conn in connections:
            await conn.close()
    delays = [a - sent for a in arrivals]
    return {
        "listeners": count,
        "received": len(arrivals),
        **latency_ms(delays),
        "notify_ms": harness.ms(committed - sent),
    }


# -- ours -----------------------------------------------------------------------------------------


class Stream:
    """One client holding ``/live/procedure:<id>/`` open."""

    def __init__(self, port: int, path: str, cookie: str) -> None:
        self.conn = Connection(port)
        self.path, self.cookie = path, cookie
        self.connected = asyncio.Event()
        self.arrived: float | None = None
        self.failure: str | None = None

    async def run(self, gate: asyncio.Semaphore, stop: asyncio.Event) -> None:
        try:
            async with gate:
                await asyncio.wait_for(self._open(), 60)
            assert self.conn.reader is not None
            buffer = b""
            while self.arrived is None and not stop.is_set():
                data = await self.conn.reader.read(65536)
                if not data:
                    self.failure = self.failure or "closed by the server"
                    return
                buffer = buffer[-64:] + data
                if MARK in buffer:
                    self.arrived = time.time()
        except harness.HttpError as exc:
            self.failure = str(exc)
        except (OSError, EOFError, asyncio.IncompleteReadError) as exc:
            self.failure = type(exc).__name__
        except TimeoutError:
            self.failure = "timed out connecting"
        finally:
            self.connected.set()  # never leave the benchmark waiting on a failed stream
            await self.conn.close()

    async def _open(self) -> None:
        headers = {"Cookie": self.cookie, "Accept": "text/event-stream"}
        await self.conn.send("GET", self.path, headers)
        status, _headers = await self.conn.head()
        if status != 200:
            raise harness.HttpError(f"answered {status}")
        assert self.conn.reader is not None
        first = await self.conn.reader.read(4096)  # "retry: 1000": the stream is running
        if b"retry" not in first:
            raise harness.HttpError("no stream")
        self.connected.set()


async def _streams(
    port: int, procedure: int, cookie: str, token: str, clients: int, census: Callable[[], int]
) -> dict[str, Any]:
    path = f"/live/procedure:{procedure}/"
    streams = [Stream(port, path, cookie) for _ in range(clients)]
    gate, stop = asyncio.Semaphore(50), asyncio.Event()  # connect at most 50 at a time
    tasks = [asyncio.create_task(s.run(gate, stop)) for s in streams]
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(s.connected.wait() for s in streams)), CONNECT_TIMEOUT
            )
        connected = sum(1 for s in streams if s.failure is None and s.connected.is_set())
        progress(f"{connected} of {clients} streams open; breaking silence as fra-head")
        await asyncio.sleep(2.0)  # the streams are all waiting for a notification
        held = census()
        api = Connection(port)
        body = json.dumps(
            {"state": "FRA", "kind": "break", "statement": "France cannot accept this text."}
        ).encode()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        sent = time.time()
        try:
            response = await asyncio.wait_for(
                api.request("POST", f"/api/procedures/{procedure}/positions", headers, body), 30
            )
        finally:
            await api.close()
        returned = time.time()
        refused = None
        if response.status != 201:  # a finding, not a crash: nothing to deliver then
            refused = f"{response.status} {response.body[:200].decode(errors='replace')}"
        deadline = time.monotonic() + (0 if refused else DELIVERY_TIMEOUT)
        while time.monotonic() < deadline and any(
            s.arrived is None and s.failure is None for s in streams
        ):
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    failures: dict[str, int] = {}
    for s in streams:
        if s.failure is not None:
            failures[s.failure] = failures.get(s.failure, 0) + 1
    return {
        "clients": clients,
        "connected": connected,
        "arrivals": [s.arrived for s in streams if s.arrived is not None],
        "failures": failures,
        "database_connections": held,
        "break_refused": refused,
        "sent": sent,
        "returned": returned,
    }


# -- the benchmark --------------------------------------------------------------------------------


def run(clients: int = 500, workers: int = 2, **_ignored: Any) -> dict[str, Any]:
    if clients < 1 or workers < 1:
        raise BenchError("--clients and --workers must be positive")
    params = {"clients": clients, "workers": workers}
    with harness.workspace("live") as space:
        room = space.connections()
        # With the pool (CONCORD_DB_POOL, the default) a stream holds no connection between
        # looks; with CONCORD_DB_POOL=0 each open stream holds one in the server.
        pooled = os.environ.get("CONCORD_DB_POOL", "10") != "0"
        needed = (5 if pooled else clients) + 5 * workers
        if needed > room["free"]:
            raise BenchError(
                f"{clients} live streams need about {needed} database connections, but the "
                f"PostgreSQL server has {room['free']} to spare "
                f"(max_connections={room['max_connections']}, {room['in_use']} in use): use "
                "a smaller --clients, the pool (CONCORD_DB_POOL) or a server with a higher "
                "max_connections (CONCORD_BENCH_POSTGRES_URL)"
            )
        (procedure,) = space.sql(
            "SELECT id FROM procedures_procedure WHERE kind = 'silence' AND state = 'open'"
            " AND expires_at > now() + interval '10 minutes' ORDER BY id DESC LIMIT 1"
        )[0]
        token = space.concord_json("token", "create", "--user", "fra-head", "--scope", "write")
        listeners = min(clients, room["free"] - 1)
        progress(f"reference: {listeners} psycopg connections LISTENing, one NOTIFY")
        reference = asyncio.run(_listeners(space.url, listeners))

        server, port = space.serve(workers)
        processes = harness.server_processes(server)
        cookie = harness.sign_in(space, port, "sg")
        progress(f"ours: opening {clients} live streams on procedure {procedure}")
        load = harness.machine()

        def census() -> int:
            """The server's connections to the benchmark's database, while the streams wait."""
            query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> %s"
            with harness.connect(space.url, autocommit=True) as conn:
                return int(conn.execute(query, [space.name, conn.info.backend_pid]).fetchone()[0])

        got = asyncio.run(_streams(port, procedure, cookie, token["token"], clients, census))
        memory = harness.memory(processes)
        server.stop()
        broken = space.sql(
            "SELECT at FROM records_auditevent WHERE subject = %s"
            " AND tag = 'procedure.silence.broken' ORDER BY seq LIMIT 1",
            [f"procedure:{procedure}"],
        )
    at: datetime | None = broken[0][0] if broken else None
    delays = [a - at.timestamp() for a in got["arrivals"]] if at is not None else []
    ours = {
        "clients": clients,
        "connected": got["connected"],
        "received": len(delays),
        **latency_ms(delays),
        "after_api_return": latency_ms([a - got["returned"] for a in got["arrivals"]]),
        "api_call_ms": harness.ms(got["returned"] - got["sent"]),
        "failures": got["failures"],
        "database_connections": got["database_connections"],
        "break_refused": got["break_refused"],
        "server_processes": memory,
        "machine": load,
    }
    notes = []
    if got["break_refused"]:
        notes.append(f"the break was refused: {got['break_refused']}")
    if got["failures"]:
        notes.append(f"streams that failed: {got['failures']}")
    if listeners < clients:
        notes.append(f"the reference used {listeners} listeners (connections to spare)")
    p99 = ours["p99_ms"]
    goal_met = ours["received"] == clients and p99 is not None and p99 <= GOAL_P99_MS
    return harness.result(
        "live",
        params=params,
        ours=ours,
        reference=reference,
        ratio=harness.ratio(p99, reference["p99_ms"]),
        goal=f"every stream receives the event, p99 <= {GOAL_P99_MS:g} ms",
        goal_met=goal_met,
        notes=notes,
        rows=[
            ("clients (streams / listeners)", clients, reference["listeners"]),
            ("connected", ours["connected"], reference["listeners"]),
            ("received the event", ours["received"], reference["received"]),
            ("delivery p50 (ms)", ours["p50_ms"], reference["p50_ms"]),
            ("delivery p99 (ms)", ours["p99_ms"], reference["p99_ms"]),
            ("delivery max (ms)", ours["max_ms"], reference["max_ms"]),
            ("the API call (ms)", ours["api_call_ms"], None),
            ("database connections held", ours["database_connections"], reference["listeners"]),
            *harness.memory_rows(memory),
        ],
    )
