"""`concord serve --with-worker` as a newcomer runs it: sign in, see the procedures, watch an
outcome get recorded by the worker it started."""

from __future__ import annotations

import http.cookiejar
import re
import socket
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(cli):
    cli.run("demo", check=True)
    port = _free_port()
    proc = cli.popen("serve", "--port", str(port), "--with-worker")
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def _signed_in(base: str, username: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {
            "username": username,
            "password": "concord-demo",
            "csrfmiddlewaretoken": token,
            "next": "/",
        }
    ).encode()
    request = urllib.request.Request(
        f"{base}/login/", data=data, headers={"Referer": f"{base}/login/"}
    )
    opener.open(request)
    return opener


def test_sign_in_and_see_the_procedures(server):
    page = _signed_in(server, "fra-head").open(f"{server}/").read().decode()
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
    for _ in range(100):
        shown = cli.json("procedure", "show", str(opened["id"]))
        if shown["outcome"]["recorded"]:
            break
        time.sleep(0.3)
    assert shown["recorded_state"] == "adopted" and shown["decision"] is not None
    page = _signed_in(server, "sg").open(f"{server}/procedures/{opened['id']}/").read().decode()
    assert "procedure.silence.expired" in page and shown["decision"]["number"] in page
