"""`concord serve --with-worker` as a newcomer runs it: sign in, see the procedures, watch an
outcome get recorded by the worker it started."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.functional.conftest import serving, signed_in


@pytest.fixture(scope="module")
def server(cli):
    cli.run("demo", check=True)
    with serving(cli, "--with-worker") as base:
        yield base


def test_sign_in_and_see_the_procedures(cli, server):
    page = signed_in(cli, server, "fra-head").open(f"{server}/procedures/").read().decode()
    assert "Council statement on the protection of undersea cables" in page
    assert "not adopted (silence broken)" in page and "adopted" in page
    assert "fra-head (FRA)" in page


def test_the_worker_started_by_serve_records_outcomes(cli, server):
    expires = (datetime.now(UTC) + timedelta(seconds=3)).isoformat()
    opened = cli.json(
        "procedure",
        "open-silence",
        "--body",
        "NAC",
        "--document",
        f"PO({datetime.now(UTC).year})0001",
        "--expires",
        expires,
        "--as",
        "sg",
    )
    # Nothing can be recorded before the expiry: wait for it idle rather than with `show` after
    # `show`, each a process of its own.
    time.sleep(max(0.0, (datetime.fromisoformat(expires) - datetime.now(UTC)).total_seconds()))
    for _ in range(100):
        shown = cli.json("procedure", "show", str(opened["id"]))
        if shown["outcome"]["recorded"]:
            break
        time.sleep(0.3)
    assert shown["recorded_state"] == "adopted" and shown["decision"] is not None
    page = signed_in(cli, server, "sg").open(f"{server}/procedures/{opened['id']}/").read().decode()
    assert "silence period expired" in page and shown["decision"]["number"] in page
