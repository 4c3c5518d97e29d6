"""Fault tests: kill the processes and the database under load, then check what was promised.

They run on a throwaway PostgreSQL cluster of their own (never the shared server on 5432): created
here with Debian's binaries (``/usr/lib/postgresql/<version>/bin``, the newest installed) in a
temporary folder, on a free port, listening on 127.0.0.1 only, trust authentication; initdb and
postgres refuse to run as root, so under root they run as the ``postgres`` system user through
``runuser``. Everything is skipped when the binaries (or, under root, ``runuser``) are missing.

``make test`` runs them in a reduced size; ``CONCORD_FAULTS_SECONDS`` (default 12) sets how long
the chaos of the first test lasts, for a longer soak.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.functional.conftest import Cli, free_port

HOST = "127.0.0.1"
#: Seconds of chaos in the first test (``make test`` keeps it short).
FAULT_SECONDS = float(os.environ.get("CONCORD_FAULTS_SECONDS", "12"))


# -- HTTP -----------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    port: int,
    method: str,
    path: str,
    *,
    token: str = "",
    data: Any = None,
    cookie: str = "",
    timeout: float = 10.0,
    prefer: str = "",
) -> Reply:
    """One request on a fresh connection, closed afterwards. Raises OSError (TimeoutError for a
    hang) or http.client.HTTPException when the server is gone."""
    headers = {"Accept": "application/json", "Connection": "close"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if cookie:
        headers["Cookie"] = cookie
    if prefer:
        headers["Prefer"] = prefer
    body = None
    if data is not None:
        body = json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    started = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        content = response.read()
        return Reply(
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            content,
            time.monotonic() - started,
        )
    finally:
        conn.close()


# -- the throwaway cluster ------------------------------------------------------------------------


def _postgres_bin() -> Path | None:
    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", path.parent.parent.name)) or (0,)

    found = [
        p.parent
        for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=version)
        if (p.parent / "pg_ctl").is_file() and (p.parent / "postgres").is_file()
    ]
    return found[-1] if found else None


@dataclass
class Cluster:
    bin: Path
    root: Path
    port: int
    as_postgres: bool
    running: bool = False

    @property
    def home(self) -> Path:
        return self.root / "pg"

    @property
    def data(self) -> Path:
        return self.home / "data"

    def _run(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command,
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def initdb(self) -> None:
        done = self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stdout}\n{done.stderr}")

    def start(self) -> None:
        # fsync=off is safe here: the faults kill processes, never the machine, so whatever a
        # commit has written to the kernel survives; immediate stops still exercise recovery.
        options = (
            f"-p {self.port} -k {self.home} -c listen_addresses={HOST} -c fsync=off "
            "-c max_connections=200"
        )
        done = self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.home / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        if done.returncode != 0:
            log = (self.home / "log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"pg_ctl start failed: {done.stdout}\n{done.stderr}\n{log}")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        done = self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        if done.returncode != 0 and (self.data / "postmaster.pid").exists():
            raise RuntimeError(f"pg_ctl stop failed: {done.stdout}\n{done.stderr}")
        self.running = False

    def url(self, name: str) -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{name}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        pidfile = self.data / "postmaster.pid"
        if pidfile.exists():  # pg_ctl could not stop it: end the postmaster we started
            with contextlib.suppress(Exception):
                os.kill(int(pidfile.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    binaries = _postgres_bin()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    as_postgres = os.geteuid() == 0
    if as_postgres:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start postgres as postgres")
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a postgres system user")
    root = Path(tempfile.mkdtemp(prefix="concord-faults-", dir="/tmp"))
    root.chmod(0o755)  # postgres must be able to traverse to its folder
    home = root / "pg"
    home.mkdir()
    if as_postgres:
        os.chown(home, owner.pw_uid, owner.pw_gid)
    cluster = Cluster(binaries, root, free_port(), as_postgres)
    try:
        cluster.initdb()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


# -- a deployment: one database, its servers and workers ------------------------------------------


@dataclass
class Process:
    name: str
    args: tuple[str, ...]
    log: Path
    popen: subprocess.Popen[bytes]
    port: int | None = None
    kills: int = 0
    started_at: float = field(default_factory=time.monotonic)


@dataclass
class Deployment:
    """A fresh database in the throwaway cluster, the ``concord`` command on it, and every
    process started on it (each killed and reaped at the end)."""

    cluster: Cluster
    folder: Path
    url: str
    cli: Cli
    processes: list[Process] = field(default_factory=list)

    # processes

    def _spawn(self, name: str, args: tuple[str, ...], port: int | None) -> Process:
        log = self.folder / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "concord.cli", *args],
                env=self.cli.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        process = Process(name, args, log, popen, port)
        self.processes.append(process)
        return process

    def server(self, name: str) -> Process:
        port = free_port()
        return self._spawn(name, ("serve", "--host", HOST, "--port", str(port)), port)

    def worker(self, name: str) -> Process:
        return self._spawn(name, ("worker", "--interval", "0.2"), None)

    def kill(self, process: Process) -> None:
        """SIGKILL, reap."""
        process.popen.kill()
        process.popen.communicate(timeout=10)
        process.kills += 1

    def restart(self, process: Process) -> None:
        """Start the same command again (same port) in place of a dead process."""
        assert process.popen.poll() is not None
        with process.log.open("ab") as out:
            out.write(b"\n--- restarted ---\n")
            process.popen = subprocess.Popen(
                [sys.executable, "-m", "concord.cli", *process.args],
                env=self.cli.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        process.started_at = time.monotonic()

    def wait_ready(self, process: Process, timeout: float = 30) -> None:
        assert process.port is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                raise AssertionError(f"{process.name} exited:\n{self.tail(process)}")
            try:
                if call(process.port, "GET", "/accounts/login/", timeout=2).status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)
        raise AssertionError(f"{process.name} did not start:\n{self.tail(process)}")

    def tail(self, process: Process, chars: int = 4000) -> str:
        return process.log.read_text(errors="replace")[-chars:]

    def logs(self) -> str:
        return "\n".join(f"==== {p.name} ====\n{self.tail(p, 2500)}" for p in self.processes)

    def close(self) -> None:
        for process in self.processes:
            if process.popen.poll() is None:
                process.popen.terminate()
            try:
                process.popen.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.communicate(timeout=10)

    # the database, read directly

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url, connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()

    def write_token(self, user: str = "sg") -> str:
        made = self.cli.json("token", "create", "--user", user, "--scope", "write")
        assert isinstance(made, dict)
        return str(made["token"])


@pytest.fixture(scope="session")
def deployments(pg_cluster, tmp_path_factory):
    """Make a deployment on a fresh database: ``with deployments("name") as d: ...``."""

    @contextlib.contextmanager
    def make(name: str) -> Iterator[Deployment]:
        folder = tmp_path_factory.mktemp(f"faults-{name}")
        if not pg_cluster.running:
            pg_cluster.start()
        url = pg_cluster.create_database(f"concord_{name}_{uuid.uuid4().hex[:8]}")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONCORD_")}
        env.update(
            {
                "CONCORD_VAR_DIR": str(folder),
                "CONCORD_DATABASE_URL": url,
                "CONCORD_WORKER_INTERVAL": "0.2",
                "CONCORD_API_RATE": "100000/m",  # the load is the point, not the throttle
            }
        )
        deployment = Deployment(pg_cluster, folder, url, Cli(env))
        try:
            deployment.cli.run("demo", check=True)
            yield deployment
        finally:
            deployment.close()
            if not pg_cluster.running:  # a test that stopped the database leaves it running
                pg_cluster.start()

    return make
