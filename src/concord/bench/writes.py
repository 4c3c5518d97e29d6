"""``concord bench writes``: audited writes over HTTP against raw INSERT+COMMIT.

Ours: ``concord serve --workers N`` on PostgreSQL; C clients on keep-alive HTTP/1.1
connections post, as the Council's chair (``sg``, a write token), statements into open meeting
items (``POST /api/procedures/{id}/positions``) for S seconds. Each 201 committed a position and
its audit event. The requests go round-robin over enough items that no two in flight share one.

Reference: C psycopg connections on the same database doing single-row INSERT+COMMIT into a
plain table for the same S seconds: the floor of a committed write on this machine.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from concord.bench import harness
from concord.bench.harness import BenchError, Client, latency_ms, progress

#: The per-token API throttle (600 a minute by default) is lifted for the benchmark's server.
UNTHROTTLED = "100000000/m"
GOAL_RATIO = 0.3
GOAL_P99_MS = 50.0
#: Meeting items written to by default: at the rates measured, each ends with tens of positions,
#: as an item of a real Council meeting does (32 allies, a statement and a position or two each).
ITEMS = 1000


# -- set-up, run in a Django process on the benchmark's database ---------------------------------


def seed(procedures: int) -> dict[str, Any]:
    """Open ``procedures`` meeting items in the Council, chaired by ``sg``: the first through the
    service, the rest as copies of it inserted together, each with its own "opened" event."""
    import json as json_module
    from datetime import timedelta

    from django.db import transaction

    from concord.bench.copies import copy_procedures
    from concord.domain.events import Tag
    from concord.domain.procedures import Kind
    from concord.records.models import AuditEvent
    from concord.services import audit, common
    from concord.services import procedures as service

    chair, council = common.user("sg"), common.body("NAC")
    first = service.open_procedure(
        by=chair,
        kind=Kind.MEETING,
        body=council,
        expires_at=common.now() + timedelta(days=2),
        title="Benchmark meeting item 1",
    )
    opened = AuditEvent.objects.filter(subject=f"procedure:{first.pk}").order_by("seq").first()
    assert opened is not None and opened.tag == Tag.MEETING_OPENED
    template = json_module.loads(opened.payload)
    ids = [first.pk]
    with transaction.atomic():
        for start in range(1, procedures, 1000):
            at = common.now()
            rows = copy_procedures(
                first,
                range(start + 1, min(start + 1000, procedures) + 1),
                title=lambda n: f"Benchmark meeting item {n}",
                opened_at=at,
                expires_at=first.expires_at,
            )
            chain = audit.Chain()
            for p in rows:
                payload = {**template, "title": p.title}
                if "procedure" in payload:
                    payload["procedure"] = p.pk
                chain.append(
                    actor=chair.username,
                    tag=Tag.MEETING_OPENED,
                    subject=f"procedure:{p.pk}",
                    payload=payload,
                    at=at,
                )
            chain.flush()
            ids += [p.pk for p in rows]
    states = sorted(first.participants.values_list("state_id", flat=True))
    return {"procedures": ids, "states": states}


# -- load -----------------------------------------------------------------------------------------


async def _drive(
    port: int,
    token: str,
    targets: list[int],
    states: list[str],
    clients: int,
    seconds: float,
    census: Callable[[], Any],
) -> dict[str, Any]:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Prefer": "return=minimal",
    }
    turn = itertools.count()
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    ok = warm_ok = 0
    done_at = 0.0
    batched = 0  # 2xx answered by the batching desk

    async def one(conn: Client, measured: bool) -> None:
        nonlocal ok, warm_ok, done_at, batched
        n = next(turn)
        body = json.dumps(
            {
                "state": states[n % len(states)],
                "kind": "statement",
                "statement": f"Benchmark statement {n}.",
            }
        ).encode()
        path = f"/api/procedures/{targets[n % len(targets)]}/positions"
        started = time.perf_counter()
        try:
            response = await asyncio.wait_for(conn.request("POST", path, headers, body), 30)
        except (OSError, EOFError, asyncio.IncompleteReadError, harness.HttpError, TimeoutError):
            await conn.close()  # reconnect on the next request
            if measured:
                statuses["connection error"] += 1
            return
        if not measured:
            warm_ok += 200 <= response.status < 300
            return
        if 200 <= response.status < 300:
            ok += 1
            latencies.append(time.perf_counter() - started)
            done_at = time.perf_counter()
            batched += "server-timing" in response.headers
        else:
            statuses[str(response.status)] += 1

    async def client(warm: asyncio.Barrier, end: list[float]) -> None:
        conn = Client(port)
        try:
            await one(conn, measured=False)  # connect and warm the server process up
            await warm.wait()
            while time.perf_counter() < end[0]:
                await one(conn, measured=True)
        finally:
            await conn.close()

    warm = asyncio.Barrier(clients + 1)
    end = [float("inf")]
    tasks = [asyncio.create_task(client(warm, end)) for _ in range(clients)]
    await asyncio.wait_for(warm.wait(), 120)
    spread = census()  # every client is connected: how the server's processes share them
    started = time.perf_counter()
    end[0] = started + seconds
    await asyncio.wait_for(asyncio.gather(*tasks), seconds + 60)
    elapsed = (done_at or time.perf_counter()) - started
    return {
        "requests_ok": ok,
        "requests_per_s": round(ok / elapsed, 1) if elapsed > 0 else 0.0,
        **latency_ms(latencies),
        "errors": sum(statuses.values()),
        "error_kinds": dict(statuses),
        "seconds": round(elapsed, 2),
        "warmup_ok": warm_ok,
        "batched": batched,
        "connections_per_worker": spread,
    }


async def _inserts(url: str, clients: int, seconds: float) -> dict[str, Any]:
    import psycopg

    latencies: list[float] = []
    errors = 0
    done_at = 0.0

    async def client(conn: psycopg.AsyncConnection[Any], index: int, end: list[float]) -> None:
        nonlocal errors, done_at
        n = 0
        while time.perf_counter() < end[0]:
            n += 1
            started = time.perf_counter()
            try:
                await conn.execute(
                    "INSERT INTO bench_insert (client, body) VALUES (%s, %s)",
                    (index, f"Benchmark statement {index}-{n}."),
                )
            except psycopg.Error:
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)
            done_at = time.perf_counter()

    connections = [
        await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=5)
        for _ in range(clients)
    ]
    try:
        await connections[0].execute(
            "CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY,"
            " at timestamptz NOT NULL DEFAULT now(), client int NOT NULL, body text NOT NULL)"
        )
        end = [time.perf_counter() + seconds]
        started = time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(*(client(c, i, end) for i, c in enumerate(connections))), seconds + 60
        )
        elapsed = (done_at or time.perf_counter()) - started
    finally:
        for conn in connections:
            await conn.close()
    return {
        "inserts": len(latencies),
        "inserts_per_s": round(len(latencies) / elapsed, 1) if elapsed > 0 else 0.0,
        **latency_ms(latencies),
        "errors": errors,
        "seconds": round(elapsed, 2),
    }


def _busy_since(start: tuple[float, float]) -> float:
    busy, total = harness.busy_fraction()
    return round(100 * (busy - start[0]) / max(total - start[1], 1.0), 1)


# -- the benchmark --------------------------------------------------------------------------------


def run(
    clients: int = 64,
    seconds: float = 20.0,
    workers: int = 2,
    procedures: int | None = None,
    **_ignored: Any,
) -> dict[str, Any]:
    if clients < 1 or seconds <= 0 or workers < 1:
        raise BenchError("--clients, --seconds and --workers must be positive")
    targets = procedures or max(4 * clients, ITEMS)
    if targets < clients:
        raise BenchError("writes needs at least as many procedures as clients")
    params = {"clients": clients, "seconds": seconds, "workers": workers, "procedures": targets}
    with harness.workspace("writes") as space:
        progress(f"opening {targets} meeting items in the Council")
        seeded = space.django("concord.bench.writes:seed", procedures=targets)
        token = space.concord_json("token", "create", "--user", "sg", "--scope", "write")["token"]
        before = space.sql("SELECT count(*) FROM procedures_position")[0][0]

        room = space.connections()
        progress(f"reference: {clients} psycopg connections doing INSERT+COMMIT for {seconds} s")
        busy = harness.busy_fraction()
        reference = asyncio.run(_inserts(space.url, clients, seconds))
        reference["machine_busy"] = _busy_since(busy)

        server, port = space.serve(workers, extra={"CONCORD_API_RATE": UNTHROTTLED})
        processes = harness.server_processes(server)
        pids = [p["pid"] for p in processes]
        progress(f"ours: {clients} HTTP clients posting statements for {seconds} s")
        load = harness.machine()
        cpu, busy = harness.cpu_seconds(pids), harness.busy_fraction()
        workers_pids = [p["pid"] for p in processes if p["role"] == "uvicorn worker"] or pids

        def census() -> list[int]:
            return [harness.tcp_connections(pid, port) for pid in workers_pids]

        ours = asyncio.run(
            _drive(port, token, seeded["procedures"], seeded["states"], clients, seconds, census)
        )
        used = harness.cpu_seconds(pids) - cpu
        ours["machine_busy"] = _busy_since(busy)
        ours["server_cpu_ms_per_write"] = (
            round(used / (ours["requests_ok"] + ours["warmup_ok"]) * 1000, 3)
            if ours["requests_ok"]
            else None
        )
        ours["server_processes"] = harness.memory(processes)
        ours["machine"] = load
        server.stop()
        committed = space.sql("SELECT count(*) FROM procedures_position")[0][0] - before
        committed -= ours["warmup_ok"]
        ours["positions_committed"] = committed
        mean, most = space.sql(
            "SELECT avg(n), max(n) FROM (SELECT count(*) AS n FROM procedures_position"
            " WHERE procedure_id = ANY(%s) GROUP BY procedure_id) AS c",
            [seeded["procedures"]],
        )[0]
        ours["positions_per_item"] = {"mean": round(float(mean or 0), 1), "max": most or 0}
        # A batch's positions share their instant: positions per distinct instant.
        ours["positions_per_transaction"] = float(
            space.sql(
                "SELECT round(count(*)::numeric / greatest(count(DISTINCT at), 1), 1)"
                " FROM procedures_position WHERE procedure_id = ANY(%s)",
                [seeded["procedures"]],
            )[0][0]
        )
        ours["audit_chain_ok"] = space.concord_json("audit", "verify")["ok"]

    share = harness.ratio(ours["requests_per_s"], reference["inserts_per_s"])
    p99 = ours["p99_ms"]
    goal_met = bool(share is not None and share >= GOAL_RATIO and p99 is not None)
    goal_met = goal_met and p99 <= GOAL_P99_MS
    notes = []
    if committed != ours["requests_ok"]:
        notes.append(f"{committed} positions committed for {ours['requests_ok']} 2xx answers")
    if clients + 5 > room["free"]:
        notes.append(
            f"each request in flight holds a database connection: {clients} clients need about "
            f"{clients + 5} and the server had {room['free']} to spare"
        )
    return harness.result(
        "writes",
        params=params,
        ours=ours,
        reference=reference,
        ratio=share,
        goal=f"ratio >= {GOAL_RATIO} and p99 <= {GOAL_P99_MS:g} ms",
        goal_met=goal_met,
        notes=notes,
        rows=[
            ("committed writes/s", ours["requests_per_s"], reference["inserts_per_s"]),
            ("writes (2xx / inserts)", ours["requests_ok"], reference["inserts"]),
            ("p50 latency (ms)", ours["p50_ms"], reference["p50_ms"]),
            ("p99 latency (ms)", ours["p99_ms"], reference["p99_ms"]),
            ("max latency (ms)", ours["max_ms"], reference["max_ms"]),
            ("errors", ours["errors"], reference["errors"]),
            ("positions committed", committed, None),
            ("2xx through the batching desk", ours["batched"], None),
            ("positions per transaction (mean)", ours["positions_per_transaction"], None),
            ("positions per item at the end (mean)", ours["positions_per_item"]["mean"], None),
            ("positions per item at the end (max)", ours["positions_per_item"]["max"], None),
            ("server CPU per write (ms)", ours["server_cpu_ms_per_write"], None),
            (
                "client connections per server process",
                " / ".join(map(str, ours["connections_per_worker"])),
                None,
            ),
            ("machine CPU busy (%)", ours["machine_busy"], reference["machine_busy"]),
            ("audit chain verifies", ours["audit_chain_ok"], None),
            *harness.memory_rows(ours["server_processes"]),
        ],
    )
