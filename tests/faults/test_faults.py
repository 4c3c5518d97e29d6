"""Fault tests: what Concord acknowledged is kept, once, whatever dies.

Clients write statements (each with a unique text) through `concord serve` processes while the
test SIGKILLs servers and workers, or stops the database; afterwards the record is read directly
from the database and checked against every write that got a 2xx.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.faults.conftest import FAULT_SECONDS, Deployment, Process, Reply, call
from tests.functional.conftest import signed_in

# -- helpers --------------------------------------------------------------------------------------


def _in(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def open_procedure(port: int, token: str, **fields: Any) -> dict[str, Any]:
    reply = call(port, "POST", "/api/procedures", token=token, data=fields)
    assert reply.status == 201, reply.body
    return reply.json()


def open_meetings(port: int, token: str, tag: str, count: int) -> dict[int, list[str]]:
    """Meeting items of the Council, an hour long: the chair records statements for any state."""
    meetings = {}
    for i in range(count):
        p = open_procedure(
            port, token, kind="meeting", body="NAC", expires_at=_in(3600), title=f"{tag} item {i}"
        )
        meetings[p["id"]] = [x["state"] for x in p["participants"]]
    return meetings


def council_document(port: int, token: str) -> str:
    reply = call(port, "GET", "/api/documents?limit=200", token=token)
    assert reply.status == 200, reply.body
    return next(d["reference"] for d in reply.json()["items"] if d["body"] == "NAC")


@dataclass
class Ack:
    text: str
    seq: int
    server: str
    at: float


@dataclass
class Load:
    """Client threads writing statements (unique texts) through the servers, switching server
    when one is gone; optionally a thread opening short silence procedures. Every other client
    asks for ``return=minimal``: its statements go through the batching desk."""

    servers: list[Process]
    token: str
    meetings: dict[int, list[str]]
    tag: str
    clients: int = 4
    document: str = ""  # set: also open silence procedures on it, expiring within seconds
    acks: list[Ack] = field(default_factory=list)
    silences: list[int] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        self.threads = [
            threading.Thread(target=self._guarded, args=(self._writer, k), daemon=True)
            for k in range(self.clients)
        ]
        if self.document:
            self.threads.append(
                threading.Thread(target=self._guarded, args=(self._opener, 99), daemon=True)
            )
        for t in self.threads:
            t.start()

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(30)
        assert not any(t.is_alive() for t in self.threads), "a client thread hangs"

    def acked_since(self, moment: float, server: str | None = None) -> int:
        with self.lock:
            return sum(1 for a in self.acks if a.at > moment and server in (None, a.server))

    def _guarded(self, target: Any, k: int) -> None:
        try:
            target(k)
        except Exception as exc:  # a broken client must fail the test, not vanish
            with self.lock:
                self.problems.append(f"client {k} crashed: {exc!r}")

    def _send(
        self, which: int, method: str, path: str, data: Any, prefer: str = ""
    ) -> tuple[int, Reply | None]:
        """One request; on a dead server, the next server is used for the next request."""
        server = self.servers[which]
        try:
            reply = call(server.port, method, path, token=self.token, data=data, prefer=prefer)
        except TimeoutError:
            with self.lock:
                self.statuses["timeout"] += 1
                self.problems.append(f"{server.name}: no answer within 10 s to {method} {path}")
            return (which + 1) % len(self.servers), None
        except (OSError, http.client.HTTPException) as exc:
            with self.lock:
                self.statuses[f"down:{type(exc).__name__}"] += 1
            time.sleep(0.02)
            return (which + 1) % len(self.servers), None
        with self.lock:
            self.statuses[str(reply.status)] += 1
            if reply.status not in (200, 201, 503):
                self.problems.append(
                    f"{server.name}: {reply.status} to {method} {path}: {reply.body[:500]!r}"
                )
        if reply.status == 503:
            time.sleep(0.1)
        return which, reply

    def _writer(self, k: int) -> None:
        rnd = random.Random(k)
        which = k % len(self.servers)
        n = 0
        while not self.stopping.is_set():
            n += 1
            pid = rnd.choice(list(self.meetings))
            text = f"{self.tag} c{k} n{n}"
            data = {"state": rnd.choice(self.meetings[pid]), "kind": "statement", "statement": text}
            server = self.servers[which].name
            minimal = k % 2 == 1
            path = f"/api/procedures/{pid}/positions"
            which, reply = self._send(
                which, "POST", path, data, prefer="return=minimal" if minimal else ""
            )
            if reply is not None and reply.status == 201:
                if minimal:
                    seq = reply.json()["position"]
                else:
                    mine = [x for x in reply.json()["positions"] if x["statement"] == text]
                    assert len(mine) == 1, f"the reply to {text!r} shows it {len(mine)} times"
                    seq = mine[0]["seq"]
                with self.lock:
                    self.acks.append(Ack(text, seq, server, time.monotonic()))
                    if "server-timing" in reply.headers:
                        self.statuses["201 batched"] += 1
            if n % 5 == 0:  # spread the clients over the servers
                which = (which + 1) % len(self.servers)

    def _opener(self, k: int) -> None:
        rnd = random.Random(k)
        which = 0
        n = 0
        while not self.stopping.wait(0.6):
            n += 1
            data = {
                "kind": "silence",
                "body": "NAC",
                "document": self.document,
                # a few seconds ahead: a server just restarted on a busy machine may take a
                # second or two to read the request, and must still find it in the future
                "expires_at": _in(rnd.uniform(3.0, 5.5)),
                "title": f"{self.tag} silence {n}",
            }
            which, reply = self._send(which, "POST", "/api/procedures", data)
            if reply is not None and reply.status == 201:
                with self.lock:
                    self.silences.append(reply.json()["id"])
            which = (which + 1) % len(self.servers)


def check_record(d: Deployment, load: Load) -> None:
    """Every acknowledged statement is in the database once, with its audit event once."""
    rows = d.query(
        "SELECT id, statement FROM procedures_position WHERE kind = 'statement' "
        "AND statement LIKE %s",
        (f"{load.tag} %",),
    )
    stored = Counter(text for _id, text in rows)
    by_seq = dict(rows)
    audited: Counter[str] = Counter()
    for (payload,) in d.query(
        "SELECT payload FROM records_auditevent WHERE tag = 'procedure.meeting.position_recorded'"
    ):
        statement = json.loads(payload).get("statement", "")
        if statement.startswith(f"{load.tag} "):
            audited[statement] += 1
    lost = [a.text for a in load.acks if stored[a.text] == 0]
    moved = [a.text for a in load.acks if stored[a.text] and by_seq.get(a.seq) != a.text]
    twice = sorted(t for t, n in stored.items() if n > 1)
    unaudited = sorted(t for t in stored if audited[t] != 1)
    stray = sorted(t for t in audited if not stored[t])
    assert not lost, f"{len(lost)} acknowledged writes are missing, e.g. {lost[:5]}"
    assert not moved, f"acknowledged positions stored under another seq: {moved[:5]}"
    assert not twice, f"writes stored more than once: {twice[:5]}"
    assert not unaudited, f"positions without exactly one audit event: {unaudited[:5]}"
    assert not stray, f"audit events without their position: {stray[:5]}"


def outcomes_of(d: Deployment, ids: list[int]) -> dict[int, tuple[str, int, int]]:
    """Per procedure: recorded state, number of ``procedure.*.expired`` events, of decisions."""
    if not ids:
        return {}
    states = dict(d.query("SELECT id, state FROM procedures_procedure WHERE id = ANY(%s)", (ids,)))
    expired = Counter(
        subject
        for (subject,) in d.query(
            "SELECT subject FROM records_auditevent WHERE tag LIKE 'procedure.%%.expired'"
        )
    )
    decisions = Counter(pid for (pid,) in d.query("SELECT procedure_id FROM records_decision"))
    return {i: (states[i], expired[f"procedure:{i}"], decisions[i]) for i in ids}


def wait_recorded(d: Deployment, ids: list[int], timeout: float) -> dict[int, tuple[str, int, int]]:
    deadline = time.monotonic() + timeout
    while True:
        found = outcomes_of(d, ids)
        if all(state not in ("open", "awaiting_confirmation") for state, _, _ in found.values()):
            return found
        if time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def audit_verify(d: Deployment) -> None:
    done = d.cli.run("audit", "verify")
    assert done.returncode == 0, f"concord audit verify: {done.stdout}{done.stderr}"


# -- 1: killed servers and workers ----------------------------------------------------------------


def test_acknowledged_writes_survive_killed_app_processes_and_workers(deployments):
    with deployments("kills") as d:
        token = d.write_token()
        a, b = d.server("server-a"), d.server("server-b")
        w1, w2 = d.worker("worker-1"), d.worker("worker-2")
        d.wait_ready(a)
        d.wait_ready(b)
        load = Load(
            servers=[a, b],
            token=token,
            meetings=open_meetings(a.port, token, "kills", 3),
            tag="kills",
            document=council_document(a.port, token),
        )
        start = time.monotonic()
        load.start()

        def kill_server(victim: Process, other: Process) -> None:
            d.wait_ready(other)  # one server stays up: clients fail over to it
            d.kill(victim)
            d.restart(victim)

        plan = [
            (0.15, lambda: kill_server(a, b)),
            (0.30, lambda: d.kill(w1)),
            (0.45, lambda: kill_server(b, a)),
            (0.50, lambda: d.restart(w1)),
            (0.65, lambda: kill_server(a, b)),
            (0.75, lambda: d.kill(w1)),
            (0.90, lambda: kill_server(b, a)),
            (0.95, lambda: d.restart(w1)),
        ]
        for at, action in plan:
            time.sleep(max(0.0, start + at * FAULT_SECONDS - time.monotonic()))
            action()
        d.wait_ready(a)
        d.wait_ready(b)
        settled = time.monotonic()
        deadline = settled + 20
        while time.monotonic() < deadline and not (
            load.acked_since(settled, "server-a") and load.acked_since(settled, "server-b")
        ):
            time.sleep(0.2)
        load.stop()

        assert a.kills >= 2 and b.kills >= 2 and w1.kills >= 2
        assert w2.popen.poll() is None, d.tail(w2)
        assert not load.problems, f"{load.problems[:10]}\n{load.statuses}\n{d.logs()}"
        assert not load.statuses["503"], f"503 with the database up: {load.statuses}\n{d.logs()}"
        assert len(load.acks) >= 20, f"too few writes got through: {load.statuses}"
        assert load.statuses["201 batched"] > 0, f"none through the desk: {load.statuses}"
        for server in (a, b):
            assert load.acked_since(server.started_at, server.name), (
                f"{server.name} acknowledged nothing after its restart:\n{d.tail(server)}"
            )
        check_record(d, load)

        titled = [
            pid
            for (pid,) in d.query(
                "SELECT id FROM procedures_procedure WHERE kind = 'silence' AND title LIKE %s",
                ("kills silence %",),
            )
        ]
        assert set(load.silences) <= set(titled)
        assert len(titled) >= 5, f"too few silence procedures opened: {load.statuses}"
        # A sweep records outcomes before it turns to notifications; with a backlog of
        # notifications from the load a sweep takes seconds, so give the outcomes time.
        outcomes = wait_recorded(d, titled, timeout=45)
        pending = {i: o for i, o in outcomes.items() if o[0] in ("open", "awaiting_confirmation")}
        assert not pending, f"outcomes never recorded: {pending}\n{d.logs()}"
        twice = {i: o for i, o in outcomes.items() if o[1] != 1 or o[2] > 1}
        assert not twice, f"outcome events or decisions not exactly once: {twice}"
        # Nobody broke silence: each was adopted, with exactly one decision sheet.
        assert {o[0] for o in outcomes.values()} == {"adopted"}, outcomes
        assert all(o[2] == 1 for o in outcomes.values()), outcomes
        audit_verify(d)


# -- 2: the database stops and comes back ---------------------------------------------------------


@dataclass
class Outage:
    d: Deployment
    load: Load
    server: Process
    worker: Process
    probes: list[tuple[str, Reply | str]]
    outage_seconds: float
    acked_after: int
    #: procedure id -> (recorded state, expired events, decisions), for a silence procedure that
    #: expired during the outage and one that expired after the restart
    outcomes: dict[int, tuple[str, int, int]]
    worker_exit: int | None


@pytest.fixture(scope="module")
def outage(deployments) -> Iterator[Outage]:
    with deployments("outage") as d:
        token = d.write_token()
        server, worker = d.server("server"), d.worker("worker")
        d.wait_ready(server)
        opener = signed_in(d.cli, f"http://127.0.0.1:{server.port}", "sg")
        jar = next(h.cookiejar for h in opener.handlers if hasattr(h, "cookiejar"))
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        assert call(server.port, "GET", "/procedures/", cookie=cookie).status == 200
        meetings = open_meetings(server.port, token, "outage", 2)
        document = council_document(server.port, token)
        meeting = next(iter(meetings))
        load = Load(servers=[server], token=token, meetings=meetings, tag="outage", clients=3)
        load.start()
        time.sleep(2)
        during = open_procedure(
            server.port,
            token,
            kind="silence",
            body="NAC",
            document=document,
            expires_at=_in(3),
            title="outage silence during",
        )["id"]
        time.sleep(1)
        assert load.acks, f"no writes before the outage: {load.statuses}\n{d.logs()}"

        d.cluster.stop("immediate")
        down = time.monotonic()
        probes: list[tuple[str, Reply | str]] = []
        api = f"/api/procedures/{meeting}"
        for _round in range(3):
            for what, method, path, kwargs in (
                ("api read", "GET", api, {"token": token}),
                (
                    "api write",
                    "POST",
                    f"{api}/positions",
                    {
                        "token": token,
                        "data": {
                            "state": meetings[meeting][0],
                            "kind": "statement",
                            "statement": "outage probe",
                        },
                    },
                ),
                (
                    "api write, minimal",
                    "POST",
                    f"{api}/positions",
                    {
                        "token": token,
                        "prefer": "return=minimal",
                        "data": {
                            "state": meetings[meeting][0],
                            "kind": "statement",
                            "statement": "outage probe",
                        },
                    },
                ),
                ("page", "GET", "/procedures/", {"cookie": cookie}),
            ):
                try:
                    probes.append((what, call(server.port, method, path, timeout=10, **kwargs)))
                except TimeoutError:
                    probes.append((what, "no answer within 10 s"))
                except (OSError, http.client.HTTPException) as exc:
                    probes.append((what, repr(exc)))
            time.sleep(1.5)
        time.sleep(max(0.0, down + 6 - time.monotonic()))
        d.cluster.start()
        back = time.monotonic()
        outage_seconds = back - down

        deadline = back + 20
        while time.monotonic() < deadline and load.acked_since(back) < 10:
            time.sleep(0.2)
        acked_after = load.acked_since(back)
        after = open_procedure(
            server.port,
            token,
            kind="silence",
            body="NAC",
            document=document,
            expires_at=_in(2),
            title="outage silence after",
        )["id"]
        # A dead worker records nothing: then a short look is enough.
        alive = worker.popen.poll() is None
        outcomes = wait_recorded(d, [during, after], timeout=30 if alive else 4)
        load.stop()
        yield Outage(
            d,
            load,
            server,
            worker,
            probes,
            outage_seconds,
            acked_after,
            outcomes,
            worker.popen.poll(),
        )


def test_database_restart_gives_503_not_a_hang_and_loses_nothing(outage):
    d, load = outage.d, outage.load
    assert outage.outage_seconds >= 5
    assert len(outage.probes) == 12
    for what, reply in outage.probes:
        assert isinstance(reply, Reply), f"{what}: {reply}\n{d.tail(outage.server)}"
        assert reply.status == 503, f"{what}: {reply.status} {reply.body[:300]!r}"
        assert reply.seconds < 10, f"{what}: took {reply.seconds:.1f} s"
        assert reply.headers.get("retry-after", "").isdigit(), (what, reply.headers)
        if what.startswith("api"):
            assert reply.headers["content-type"].startswith("application/problem+json")
            problem = reply.json()
            assert problem["status"] == 503 and problem["title"], problem
        else:
            assert reply.headers["content-type"].startswith("text/html")
    assert not load.problems, f"{load.problems[:10]}\n{load.statuses}\n{d.logs()}"
    assert load.statuses["503"] > 0, load.statuses  # the clients did write into the outage
    assert load.statuses["201 batched"] > 0, load.statuses  # and through the batching desk
    assert outage.acked_after >= 10, f"clients did not resume: {load.statuses}\n{d.logs()}"
    assert outage.server.popen.poll() is None, d.tail(outage.server)
    check_record(d, load)
    probes = d.query("SELECT count(*) FROM procedures_position WHERE statement = 'outage probe'")
    assert probes == [(0,)], "a write answered 503 was stored"
    audit_verify(d)


def test_the_worker_recovers_after_the_database_restart(outage):
    d = outage.d
    assert outage.worker_exit is None, (
        f"the worker exited ({outage.worker_exit}) during the outage:\n{d.tail(outage.worker)}"
    )
    for pid, (state, expired, decisions) in outage.outcomes.items():
        assert state == "adopted", f"procedure {pid} is {state}:\n{d.tail(outage.worker)}"
        assert expired == 1 and decisions == 1, (pid, expired, decisions)
