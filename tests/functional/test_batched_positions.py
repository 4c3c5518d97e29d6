"""Positions filed with ``Prefer: return=minimal`` through ``concord serve`` on PostgreSQL: the
batching desk commits them exactly as the full path would, declines whatever it does not commit
(which then gets the full path's own answer), and loses or doubles nothing under concurrency."""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.functional.conftest import Cli, serving

pytestmark = pytest.mark.skipif(
    not os.environ.get("CONCORD_DATABASE_URL", "").startswith("postgres"),
    reason="the batching desk runs on PostgreSQL only (make test-postgres runs it)",
)

DESK = "server-timing"  # only the desk's answers say how many positions shared a transaction


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    base: str, method: str, path: str, token: str, data: Any = None, minimal: bool = False
) -> Reply:
    headers = {"Authorization": f"Bearer {token}"}
    body = None
    if data is not None:
        body = data if isinstance(data, bytes) else json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    if minimal:
        headers["Prefer"] = "return=minimal"
    request = urllib.request.Request(f"{base}{path}", data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(response.status, _lower(response.headers), response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return Reply(exc.code, _lower(exc.headers), exc.read())


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def file(base: str, token: str, pid: int, minimal: bool = True, **fields: Any) -> Reply:
    return call(base, "POST", f"/api/procedures/{pid}/positions", token, fields, minimal)


def _in(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def open_procedure(base: str, token: str, kind: str = "meeting", **fields: Any) -> int:
    data = {"kind": kind, "body": "NAC", "expires_at": _in(3600), "title": f"{kind} item"}
    reply = call(base, "POST", "/api/procedures", token, {**data, **fields})
    assert reply.status == 201, reply.body
    return reply.json()["id"]


def open_on_document(base: str, token: str, kind: str, seconds: float, body: str = "NAC") -> int:
    """A procedure of ``kind`` on the first document of ``body`` ready for one."""
    documents = call(base, "GET", "/api/documents?limit=200", token).json()["items"]
    for d in documents:
        if d["body"] != body:
            continue
        data = {"kind": kind, "body": body, "document": d["reference"]}
        reply = call(base, "POST", "/api/procedures", token, {**data, "expires_at": _in(seconds)})
        if reply.status == 201:
            return reply.json()["id"]
    raise AssertionError(f"no Council document is ready for a {kind} procedure")


def rows(cli: Cli, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(cli.env["CONCORD_DATABASE_URL"]) as conn:
        return conn.execute(query, params).fetchall()


def positions_of(cli: Cli, pid: int) -> list[tuple[Any, ...]]:
    return rows(
        cli,
        "SELECT p.state_id, p.kind, p.statement, p.grounds, p.paragraph, p.ministerial,"
        " u.username FROM procedures_position p JOIN alliance_user u ON u.id = p.filed_by_id"
        " WHERE p.procedure_id = %s ORDER BY p.id",
        (pid,),
    )


def events_of(cli: Cli, pid: int) -> list[tuple[str, str, dict[str, Any]]]:
    found = rows(
        cli,
        "SELECT actor, tag, payload FROM records_auditevent WHERE subject = %s ORDER BY seq",
        (f"procedure:{pid}",),
    )
    out = []
    for actor, tag, payload in found:
        if tag.endswith(".opened"):
            continue  # each item was opened at its own instant
        data = json.loads(payload)
        data.pop("procedure", None)
        out.append((actor, tag, data))
    return out


@pytest.fixture(scope="module")
def demo(cli):
    cli.run("demo", check=True)
    return {
        who: cli.json("token", "create", "--user", who, "--scope", scope)["token"]
        for who, scope in (
            ("sg", "write"),
            ("pc-chair", "write"),
            ("fra-head", "write"),
            ("pol-head", "write"),
            ("aus-delegate", "write"),
            ("deu-head", "read"),
        )
    }


@pytest.fixture(scope="module")
def one(cli, demo):
    """One server process: each request meets the same desk, with what it has cached."""
    with serving(cli) as base:
        yield base


SEQUENCE = [
    {"state": "FRA", "kind": "statement", "statement": "France supports the text."},
    {"state": "POL", "kind": "join"},
    {"state": "TUR", "kind": "ad_referendum", "statement": "  Awaiting capital.  "},
    {"state": "DEU", "kind": "footnote", "statement": "Germany reads 'forces' as…", "paragraph": 2},
    {"state": "TUR", "kind": "object", "statement": "Türkiye cannot join.", "grounds": ""},
    {"state": "DEU", "kind": "footnote_withdrawn", "paragraph": 2},
    {"state": "HUN", "kind": "statement", "statement": "Hungary\nreserves its position."},
]


def test_the_desk_commits_what_the_full_path_would(cli, demo, one):
    sg = demo["sg"]
    batched, full = open_procedure(one, sg), open_procedure(one, sg)
    for fields in SEQUENCE:
        a = file(one, sg, batched, **fields)
        assert a.status == 201, a.body
        assert DESK in a.headers and a.headers["preference-applied"] == "return=minimal"
        b = file(one, sg, full, minimal=False, **fields)
        assert b.status == 201, b.body
        assert DESK not in b.headers
        # The answer: the procedure, the position, its state, and the version as its ETag.
        body = a.json()
        assert set(body) == {"id", "position", "state", "pending", "version"}
        assert body["id"] == batched and body["state"] == "open"
        assert a.headers["etag"] == f'"p{batched}-v{body["version"]}"'
        assert a.headers["location"] == f"/api/procedures/{batched}"
        current = call(one, "GET", f"/api/procedures/{batched}", sg)
        assert current.headers["etag"] == a.headers["etag"]
        assert current.json()["positions"][-1]["seq"] == body["position"]
    assert positions_of(cli, batched) == positions_of(cli, full)
    assert events_of(cli, batched) == events_of(cli, full)
    one_way = call(one, "GET", f"/api/procedures/{batched}", sg).json()
    other = call(one, "GET", f"/api/procedures/{full}", sg).json()
    for key in ("state", "objecting", "pending", "outcome"):
        assert one_way[key] == other[key], key
    uses = rows(
        cli,
        "SELECT subject, count(*) FROM records_accesslog WHERE action = 'token_used'"
        " AND subject LIKE %s GROUP BY subject",
        (f"%/api/procedures/{batched}/positions",),
    )
    assert uses[0][1] == len(SEQUENCE)  # each use of the token is logged, as on the full path
    assert cli.json("audit", "verify")["ok"]


def test_the_full_path_answers_the_same_when_asked_for_minimal(cli, demo, one):
    sg = demo["sg"]
    # The risk working group has delegated authority to its chair.
    pid = open_on_document(one, demo["pc-chair"], "delegated", 3600, body="RWG")
    # A call-up settles the outcome: the service records it, and answers minimally too.
    reply = file(one, demo["fra-head"], pid, state="FRA", kind="call_up", statement="Called up.")
    assert reply.status == 201, reply.body
    assert DESK not in reply.headers
    assert reply.headers["preference-applied"] == "return=minimal"
    body = reply.json()
    assert set(body) == {"id", "position", "state", "pending", "version"}
    assert body["state"] == "called_up"
    detail = call(one, "GET", f"/api/procedures/{pid}", sg).json()
    assert detail["state"] == "called_up" and detail["recorded_state"] == "called_up"
    assert reply.headers["etag"] == f'"p{pid}-v{detail["version"]}"'


def test_what_the_desk_refuses_gets_the_full_paths_answer_and_changes_nothing(cli, demo, one):
    sg, fra, deu = demo["sg"], demo["fra-head"], demo["deu-head"]
    made = cli.json("token", "create", "--user", "fra-head", "--scope", "write")
    cli.run("token", "revoke", str(made["id"]), "--as", "fra-head", check=True)
    revoked = made["token"]
    pid = open_procedure(one, sg)
    file(one, sg, pid, state="FRA", kind="statement", statement="Warm-up.")  # cached by the desk
    cases = [
        (fra, pid, {"state": "DEU", "kind": "join"}),  # France may not speak for Germany
        (sg, pid, {"state": "XXX", "kind": "join"}),  # no such state
        (sg, pid, {"state": "FRA", "kind": "statement"}),  # a statement needs its text
        (sg, pid, {"state": "FRA", "kind": "break", "statement": "No."}),  # not a silence
        (sg, pid, {"state": "FRA", "kind": "join", "grounds": "because"}),  # invalid input
        (sg, pid + 1000, {"state": "FRA", "kind": "join"}),  # no such procedure
        (deu, pid, {"state": "DEU", "kind": "join"}),  # a read token
        (demo["aus-delegate"], pid, {"state": "AUS", "kind": "join"}),  # a partner: not its item
        (revoked, pid, {"state": "FRA", "kind": "join"}),  # a revoked token
        ("cnc_not-a-token", pid, {"state": "FRA", "kind": "join"}),  # no such token
        (sg, pid, b'{"state": "FRA", "kind": '),  # not JSON
        (sg, pid, [1, 2]),  # not an object
    ]
    before = len(positions_of(cli, pid)), len(events_of(cli, pid))
    for token, target, data in cases:
        path = f"/api/procedures/{target}/positions"
        minimal = call(one, "POST", path, token, data, minimal=True)
        full = call(one, "POST", path, token, data)
        assert minimal.status == full.status and minimal.status >= 400, (data, minimal.body)
        assert minimal.headers["content-type"] == "application/problem+json"
        assert minimal.json() == full.json(), data
    assert (len(positions_of(cli, pid)), len(events_of(cli, pid))) == before
    # A concluded item takes no more positions, on either path.
    reply = call(one, "POST", f"/api/procedures/{pid}/conclude", sg)
    assert reply.status == 200, reply.body
    late = file(one, sg, pid, state="POL", kind="join")
    assert late.status == file(one, sg, pid, minimal=False, state="POL", kind="join").status
    assert late.status == 409 and DESK not in late.headers


def test_a_host_django_would_refuse_is_refused_on_both_paths(cli, demo, one):
    import http.client

    pid = open_procedure(one, demo["sg"])
    answers = []
    for prefer in ("return=minimal", ""):
        conn = http.client.HTTPConnection(one.removeprefix("http://"), timeout=30)
        headers = {
            "Host": "concord.evil.example",
            "Authorization": f"Bearer {demo['sg']}",
            "Content-Type": "application/json",
            "Prefer": prefer,
        }
        body = json.dumps({"state": "FRA", "kind": "join"})
        conn.request("POST", f"/api/procedures/{pid}/positions", body=body, headers=headers)
        response = conn.getresponse()
        answers.append((response.status, response.read()))
        conn.close()
    assert answers[0] == answers[1] and answers[0][0] == 400
    assert positions_of(cli, pid) == []


def test_the_desk_sees_what_the_full_path_filed_in_between(cli, demo, one):
    sg, fra = demo["sg"], demo["fra-head"]
    pid = open_on_document(one, sg, "silence", 3 * 86400)
    # The desk reads the procedure's history and keeps it; France then breaks silence through
    # the full path; the desk must see that break before it takes France's second one.
    first = file(one, demo["pol-head"], pid, state="POL", kind="break", statement="Poland: no.")
    assert first.status == 201 and DESK in first.headers, first.body
    broken = file(one, fra, pid, minimal=False, state="FRA", kind="break", statement="No.")
    assert broken.status == 201, broken.body
    again = file(one, fra, pid, state="FRA", kind="break", statement="Still no.")
    assert again.status == 422 and "already broken" in again.json()["detail"]
    assert DESK not in again.headers
    assert [(s, k) for s, k, *_ in positions_of(cli, pid)] == [("POL", "break"), ("FRA", "break")]


def test_a_token_revoked_after_use_is_refused_by_the_desk_at_once(cli, demo, one):
    # The desk keeps a token's owner and reader built while the token's row is unchanged:
    # revoking it changes the row, so the next position goes to the full path, which refuses it.
    made = cli.json("token", "create", "--user", "fra-head", "--scope", "write")
    pid = open_procedure(one, demo["sg"])
    used = file(one, made["token"], pid, state="FRA", kind="statement", statement="First.")
    assert used.status == 201 and DESK in used.headers, used.body
    cli.run("token", "revoke", str(made["id"]), "--as", "fra-head", check=True)
    refused = file(one, made["token"], pid, state="FRA", kind="statement", statement="Second.")
    assert refused.status == 401 and DESK not in refused.headers
    assert [statement for _, _, statement, *_ in positions_of(cli, pid)] == ["First."]


def test_the_throttle_counts_batched_positions_once(cli, demo):
    slow = Cli({**cli.env, "CONCORD_API_RATE": "3/m"})
    token = slow.json("token", "create", "--user", "sg", "--scope", "write")["token"]
    with serving(slow) as base:
        pid = open_procedure(base, token)  # one request of the three
        # The desk counts this one, finds it refused, and passes it on: Django must not count it
        # again, or the next would be throttled.
        refused = file(base, token, pid, state="XXX", kind="statement", statement="?")
        assert refused.status == 404
        taken = file(base, token, pid, state="FRA", kind="statement", statement="third")
        assert taken.status == 201 and DESK in taken.headers
        again = file(base, token, pid, state="FRA", kind="statement", statement="more")
        assert again.status == 429 and "retry-after" in again.headers
    assert len(positions_of(cli, pid)) == 1


def test_concurrent_positions_on_two_processes_are_each_recorded_once(cli, demo):
    sg = demo["sg"]
    quick = Cli({**cli.env, "CONCORD_API_RATE": "100000/m"})
    with serving(quick, "--workers", "2") as base:
        items = [open_procedure(base, sg) for _ in range(4)]
        states = ["FRA", "DEU", "POL", "ITA", "ESP", "NLD"]
        acks: list[tuple[str, int, int]] = []
        failures: list[str] = []
        lock = threading.Lock()

        def client(n: int) -> None:
            for i in range(20):
                text = f"client {n} statement {i}"
                pid = items[(n + i) % len(items)]
                reply = file(
                    base, sg, pid, state=states[n % len(states)], kind="statement", statement=text
                )
                with lock:
                    if reply.status == 201:
                        acks.append((text, pid, reply.json()["version"]))
                    else:
                        failures.append(f"{reply.status} {reply.body!r}")

        threads = [threading.Thread(target=client, args=(n,)) for n in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert not failures
    assert len(acks) == 240
    recorded = rows(
        cli,
        "SELECT statement, procedure_id FROM procedures_position WHERE procedure_id = ANY(%s)",
        (items,),
    )
    assert sorted(recorded) == sorted((text, pid) for text, pid, _v in acks)  # once each
    versions = [v for *_x, v in acks]
    assert len(set(versions)) == len(versions)  # one audit event each
    assert cli.json("audit", "verify")["ok"]
