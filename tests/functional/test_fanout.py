"""Live updates across processes: an event written through one server reaches a stream held by
another at once, through PostgreSQL LISTEN/NOTIFY (polling is set to a minute, so only a
notification can deliver it in time)."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request

import pytest

from tests.functional.conftest import Cli, serving, signed_in

pytestmark = pytest.mark.skipif(
    not os.environ.get("CONCORD_DATABASE_URL", "").startswith("postgres"),
    reason="LISTEN/NOTIFY needs PostgreSQL (make test-postgres runs it)",
)


def test_an_event_written_through_one_server_reaches_a_stream_on_another(cli):
    slow = Cli({**cli.env, "CONCORD_LIVE_POLL": "60"})
    slow.run("demo", check=True)
    token = slow.json("token", "create", "--user", "fra-head", "--scope", "write")["token"]
    rows = slow.json("procedure", "list")
    pid = next(r["id"] for r in rows if r["kind"] == "silence" and r["state"] == "open")
    with serving(slow, "--workers", "2") as a, serving(slow) as b:
        opener = signed_in(slow, a, "sg")
        arrived: list[float] = []

        def listen() -> None:
            request = urllib.request.Request(f"{a}/live/procedure:{pid}/")
            with opener.open(request, timeout=30) as stream:
                while not arrived:
                    line = stream.readline().decode()
                    if line.startswith("data: ") and "procedure.silence.broken" in line:
                        arrived.append(time.monotonic())

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        time.sleep(1.5)  # the stream is open and waiting
        sent = time.monotonic()
        request = urllib.request.Request(
            f"{b}/api/procedures/{pid}/positions",
            method="POST",
            data=json.dumps({"state": "FRA", "kind": "break", "statement": "No."}).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
        listener.join(10)
        assert arrived, "the event never reached the other server's stream"
        assert arrived[0] - sent < 3.0
