"""The REST API against its own OpenAPI schema, with Schemathesis, on the real server.

``concord serve`` runs on the demo data; every operation of the served schema is called with
inputs generated from that schema, with a write token of a delegation head (fra-head) and of the
Council's chair (sg), and every response must be no server error and conform to the schema: status
code, media type, body and headers.

Bugs found are pinned by the small tests at the end (each marked ``xfail(strict=True)`` with the
exact input); the generated runs leave out those inputs, so that they keep watching everything else.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from concord.api.routes import api
from tests.functional.conftest import Cli

#: Each operation, from the application's own schema (the served one is checked to be the same).
OPERATIONS = sorted(
    (method.upper(), path)
    for path, methods in api.get_openapi_schema()["paths"].items()
    for method in methods
)
USERS = ("fra-head", "sg")
EXAMPLES = 20  # per operation and user: the module stays around a minute
INT64 = 2**63


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    base: str
    tokens: dict[str, str]
    token_ids: set[int]
    stderr: list[str] = field(default_factory=list)
    #: Values that exist, by path parameter name, so that calls also reach past a 404.
    known: dict[str, list[Any]] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, path: str, who: str = "sg") -> Any:
        request = urllib.request.Request(f"{self.base}{path}", headers=self.headers(who))
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)


@pytest.fixture(scope="module")
def served(cli):
    # The throttle is not under test here: a generous rate keeps the run from meeting it.
    live = Cli({**cli.env, "CONCORD_API_RATE": "100000/m"})
    live.run("demo", check=True)
    made = {who: live.json("token", "create", "--user", who, "--scope", "write") for who in USERS}
    port = _free_port()
    proc = live.popen("serve", "--port", str(port))
    served = Served(
        base=f"http://127.0.0.1:{port}",
        tokens={who: t["token"] for who, t in made.items()},
        token_ids={t["id"] for t in made.values()},
    )

    def drain(stream, into: list[str]) -> None:  # never let a full pipe stall the server
        for line in stream:
            into.append(line)

    readers = [
        threading.Thread(target=drain, args=(proc.stderr, served.stderr), daemon=True),
        threading.Thread(target=drain, args=(proc.stdout, []), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{served.base}/api/openapi.json", timeout=1)
                break
            except OSError:
                assert proc.poll() is None, "".join(served.stderr)
                time.sleep(0.1)
        docs = served.get("/api/documents?limit=200")["items"]
        served.known = {
            "iso3": ["FRA", "JPN"],
            "code": [b["code"] for b in served.get("/api/bodies")][:3],
            "ref": [d["reference"] for d in docs][:4],
            "pk": [p["id"] for p in served.get("/api/procedures?limit=200")["items"]][:4],
            "number": [d["number"] for d in served.get("/api/decisions?limit=200")["items"]][:2],
            # Spare tokens, for revocation to succeed now and then.
            "token_id": [
                live.json("token", "create", "--user", who, "--scope", "read")["id"]
                for who in USERS
            ],
            "nac_document": [d["reference"] for d in docs if d["body"] == "NAC"][:1],
        }
        yield served
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        for reader in readers:
            reader.join(timeout=5)
        proc.stdout.close()
        proc.stderr.close()


@pytest.fixture(scope="module")
def schema(served):
    return schemathesis.openapi.from_url(f"{served.base}/api/openapi.json")


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _ints(value: Any):
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _ints(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _ints(v)


def _known_bug(case, served: Served) -> bool:
    """Inputs that would revoke the test's own tokens."""
    if case.operation.path == "/api/tokens/{token_id}":
        return (case.path_parameters or {}).get("token_id") in served.token_ids
    return False


def _call(case, served: Served, who: str, checks=CHECKS):
    """Call and validate; a failure carries what the server wrote to its error output."""
    start = len(served.stderr)
    try:
        return case.call_and_validate(
            base_url=served.base, headers=served.headers(who), checks=checks, timeout=30
        )
    except (FailureGroup, AssertionError) as exc:  # what the checks found
        time.sleep(0.2)  # let the server finish writing its traceback
        log = "".join(served.stderr[start:])[-6000:]
        raise AssertionError(f"{exc}\n--- server stderr ---\n{log}") from exc


def test_the_served_schema_has_every_operation(schema):
    served_ops = sorted(
        (result.ok().method.upper(), result.ok().path) for result in schema.get_all_operations()
    )
    assert served_ops == OPERATIONS
    assert len(OPERATIONS) >= 20


def _valid_bodies(method: str, path: str, served: Served) -> list[Any]:
    """Request bodies that can succeed, for the operations that create something."""
    soon = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    if (method, path) == ("POST", "/api/documents"):
        return [
            {
                "series": "PO",
                "title": "Generated by the schema test",
                "body": "NAC",
                "classification": "RESTRICTED",
                "releasable_to": ["JPN"],
                "paragraphs": [{"text": "One."}, {"text": "Two.", "text_fr": "Deux."}],
            }
        ]
    if (method, path) == ("POST", "/api/procedures"):
        return [
            {"kind": "silence", "body": "NAC", "document": ref, "expires_at": soon}
            for ref in served.known["nac_document"]
        ]
    if (method, path) == ("POST", "/api/procedures/{pk}/positions"):
        return [{"state": "FRA", "kind": "break", "statement": "Not yet."}]
    return []


def _strategy(operation, served: Served):
    """Generated inputs, and as often inputs built on what exists (so that not all is a 404)."""
    names = re.findall(r"{(\w+)}", operation.path)
    fixed: list[dict[str, Any]] = (
        [{"path_parameters": {names[0]: value}} for value in served.known.get(names[0], [])]
        if names
        else [{}]
    )
    bodies = _valid_bodies(operation.method.upper(), operation.path, served)
    if bodies:
        fixed = [{**f, "body": body} for f in fixed for body in bodies]
    branches = [operation.as_strategy(**f) for f in fixed if f]
    return st.one_of(operation.as_strategy(), *branches)


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_conforms_to_the_schema(served, schema, method, path, who):
    operation = schema[path][method]
    calls = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[
            HealthCheck.filter_too_much,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    @given(case=_strategy(operation, served))
    def run(case):
        assume(not _known_bug(case, served))
        calls.append(_call(case, served, who).status_code)

    run()
    assert calls, "no call was made"


# -- bugs found, pinned with the exact input ------------------------------------------------------


def _one(schema, served, who, method, path, checks, **parts):
    case = schema[path][method].Case(**parts)
    return _call(case, served, who, checks=checks)


@pytest.mark.parametrize("year", [0, 10_000])
def test_decisions_of_a_year_outside_the_calendar_are_no_server_error(served, schema, year):
    _one(
        schema,
        served,
        "fra-head",
        "GET",
        "/api/decisions",
        [not_a_server_error, status_code_conformance],
        query={"year": year},
    )


def test_notification_ids_beyond_64_bits_are_no_server_error(served, schema):
    _one(
        schema,
        served,
        "fra-head",
        "POST",
        "/api/notifications/read",
        [not_a_server_error, status_code_conformance],
        body={"ids": [INT64]},
    )


NUL_CASES = [
    ("GET", "/api/documents", {"query": {"q": "a\x00b"}}),
    ("GET", "/api/states/{iso3}", {"path_parameters": {"iso3": "A\x00B"}}),
    ("GET", "/api/memberships", {"query": {"state": "F\x00"}}),
    ("GET", "/api/decisions", {"query": {"body": "N\x00"}}),
    ("POST", "/api/tokens", {"body": {"name": "a\x00"}}),
]


@pytest.mark.parametrize(
    ("method", "path", "parts"), NUL_CASES, ids=[f"{m} {p}" for m, p, _ in NUL_CASES]
)
def test_nul_characters_in_text_are_no_server_error(served, schema, method, path, parts):
    _one(schema, served, "fra-head", method, path, [not_a_server_error], **parts)


def test_problem_details_are_documented_with_their_media_type(served, schema):
    response = _one(
        schema,
        served,
        "fra-head",
        "GET",
        "/api/documents/{ref}",
        [content_type_conformance],
        path_parameters={"ref": "PO(1999)0999"},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/api/documents", "/api/procedures", "/api/notifications"])
def test_a_cursor_the_api_did_not_give_is_a_documented_answer(served, schema, path):
    _one(
        schema,
        served,
        "fra-head",
        "GET",
        path,
        [not_a_server_error, status_code_conformance],
        query={"cursor": "not-a-cursor"},
    )


def test_a_cursor_the_api_gave_pages_on(served):
    """The cursor the API gives is accepted: what the generated runs leave out still works."""
    request = urllib.request.Request(
        f"{served.base}/api/procedures?limit=1", headers=served.headers("fra-head")
    )
    with urllib.request.urlopen(request) as response:
        first = json.load(response)
    assert first["items"] and first["next_cursor"]
    request = urllib.request.Request(
        f"{served.base}/api/procedures?limit=1&cursor={first['next_cursor']}",
        headers=served.headers("fra-head"),
    )
    with urllib.request.urlopen(request) as response:
        second = json.load(response)
    assert second["items"] and second["items"][0]["id"] < first["items"][0]["id"]
