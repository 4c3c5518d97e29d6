"""The ``concord`` command run as a user would: a separate process on a database of its own
(a SQLite file, or a fresh PostgreSQL database when the suite runs on PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Cli:
    env: dict[str, str]

    def run(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "concord.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"concord {' '.join(args)} failed: {done.stderr}")
        return done

    def json(self, *args: str) -> object:
        return json.loads(self.run(*args, "--json", check=True).stdout)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "concord.cli", *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def _fresh_database(tmp: Path):
    url = os.environ.get("CONCORD_DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield {"CONCORD_VAR_DIR": str(tmp)}
        return
    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"concord_cli_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"CONCORD_VAR_DIR": str(tmp), "CONCORD_DATABASE_URL": f"{base}/{name}"}
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("concord")
    for extra in _fresh_database(tmp):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONCORD_")}
        env.update(extra)
        env["CONCORD_WORKER_INTERVAL"] = "0.2"
        yield Cli(env)


def signed_in(cli: Cli, base: str, username: str):
    """A urllib opener signed in to a running server as a demo user, second factor included."""
    import http.cookiejar
    import re
    import urllib.parse
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path: str, fields: dict[str, str]) -> str:
        page = opener.open(f"{base}{path}").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(
            f"{base}{path}", data=data, headers={"Referer": f"{base}{path}"}
        )
        with opener.open(request) as response:
            return response.geturl()

    post("/accounts/login/", {"username": username, "password": "concord-demo"})
    landed = post("/accounts/verify/", {"token": cli.run("demo-code", check=True).stdout.strip()})
    assert landed.endswith("/desk/"), landed
    return opener


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(cli: Cli, *args: str) -> Iterator[str]:
    """Run ``concord serve`` on a free local port for the duration; yields its base URL."""
    import time
    import urllib.error
    import urllib.request

    port = free_port()
    proc = cli.popen("serve", "--host", "127.0.0.1", "--port", str(port), *args)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{base}/accounts/login/", timeout=1):
                    break
            except urllib.error.HTTPError as exc:
                exc.close()
                raise AssertionError(f"the server answers {exc.code} on its sign-in page") from None
            except OSError:
                time.sleep(0.05)
        else:
            raise AssertionError("the server did not start")
        yield base
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
