"""What the benchmarks share: a throwaway PostgreSQL database, the ``concord`` command run as
subprocesses (servers and workers on free loopback ports, always stopped), a small HTTP/1.1
client on raw asyncio streams (and a lighter one, an asyncio protocol, for request after
request), a sign-in through the pages, percentiles, peak memory, and the
table or JSON that reports a run.

Safety: every address is the loopback one. The PostgreSQL server named by
``CONCORD_BENCH_POSTGRES_URL`` must be on this machine (loopback or a Unix socket), and every
HTTP request goes to a server this module started on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

URL_VARIABLE = "CONCORD_BENCH_POSTGRES_URL"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"
HOST = "127.0.0.1"
#: Connections a benchmark leaves free on the PostgreSQL server for everything else.
SPARE = 10
#: Settings passed on to the benchmark's processes, to compare configurations; every other
#: ``CONCORD_*`` variable is left out (the database, the folders, e-mail: all the benchmark's own).
PASSED_ON = frozenset(
    {
        "CONCORD_DB_POOL",
        "CONCORD_DB_CONNECT_TIMEOUT",
        "CONCORD_LIVE_POLL",
        "CONCORD_WORKER_INTERVAL",
        "CONCORD_LOG_LEVEL",
    }
)


class BenchError(Exception):
    """A benchmark could not run (its set-up failed, a server did not start, …)."""


def progress(message: str) -> None:
    """One line of progress on stderr (stdout is kept for the result)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# -- the PostgreSQL server ----------------------------------------------------------------------


def _is_local(host: str | None) -> bool:
    if not host or host.startswith("/") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def server_url() -> str:
    """The maintenance URL of the PostgreSQL server the benchmarks create their databases on."""
    url = os.environ.get(URL_VARIABLE) or DEFAULT_URL
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise BenchError(f"{URL_VARIABLE} must be a postgres:// URL, not {parts.scheme!r}")
    if not _is_local(parts.hostname):
        raise BenchError(f"{URL_VARIABLE} must name a server on this machine (127.0.0.1)")
    return url


def database_url(base: str, name: str) -> str:
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def connect(url: str, **kwargs: Any) -> Any:
    import psycopg

    return psycopg.connect(url, connect_timeout=5, **kwargs)


# -- subprocesses ---------------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (children, grandchildren, …), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident set size (VmHWM), in MiB; None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return round(int(match.group(1)) / 1024, 1) if match else None


def tcp_sockets(pid: int, port: int, state: str = "01") -> list[str]:
    """The inodes of the TCP sockets on local ``port`` that process ``pid`` holds in ``state``
    (``01`` established, ``0A`` listening), from /proc."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return []
    inodes = set()
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue  # closed meanwhile (a process that is starting opens and closes many)
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    held = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, found, inode = fields[1], fields[3], fields[9]
            if found == state and int(local.rsplit(":", 1)[1], 16) == port and inode in inodes:
                held.append(inode)
    return held


def tcp_connections(pid: int, port: int) -> int:
    """Established TCP connections on local ``port`` that process ``pid`` holds."""
    return len(tcp_sockets(pid, port))


def command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)


@dataclass
class Process:
    """A ``concord`` subprocess with its output in files (a pipe left unread could block it)."""

    name: str
    popen: subprocess.Popen[bytes]
    out: Path
    err: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stderr_tail(self, lines: int = 15) -> str:
        try:
            text = self.err.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def below(self) -> list[tuple[int, str]]:
        """The processes it started (pid and command line), while it runs."""
        return [(pid, command_line(pid)) for pid in descendants(self.pid)] if self.alive() else []

    def stop(
        self,
        sig: int | None = signal.SIGTERM,
        timeout: float = 20.0,
        below: list[tuple[int, str]] | None = None,
    ) -> None:
        """Signal the process (unless ``sig`` is None: already done), wait for it, and make sure
        nothing it started is left."""
        below = self.below() if below is None else below
        if sig is not None and self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(sig)
        try:
            self.popen.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)  # its own session: started with it
            self.popen.communicate(timeout=10)
        for pid, line in below:  # an orphan left behind: the same process, not a reused pid
            if line and command_line(pid) == line:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)


def stop_all(processes: Sequence[Process], timeout: float = 20.0) -> None:
    """Stop several processes at once: signal them all, then wait for each."""
    below = {id(p): p.below() for p in processes}
    for process in processes:
        if process.alive():
            with contextlib.suppress(ProcessLookupError):
                process.popen.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        left = max(deadline - time.monotonic(), 1.0)
        process.stop(None, timeout=left, below=below[id(process)])


@dataclass
class Workspace:
    """A throwaway database seeded by ``concord demo``, a scratch folder, and every process
    started for the benchmark; all of it goes away when the ``workspace()`` block ends."""

    server: str
    name: str
    url: str
    folder: Path
    env: dict[str, str]
    processes: list[Process] = field(default_factory=list)

    # the concord command -------------------------------------------------------------------

    def concord(
        self, *args: str, timeout: float = 300, extra: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "concord.cli", *args],
            env={**self.env, **(extra or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-10:])
            raise BenchError(f"concord {' '.join(args[:3])} failed ({done.returncode}): {tail}")
        return done

    def concord_json(self, *args: str, timeout: float = 300) -> Any:
        return json.loads(self.concord(*args, "--json", timeout=timeout).stdout)

    def django(self, target: str, timeout: float = 600, **kwargs: Any) -> Any:
        """Call ``module:function(**kwargs)`` in a separate process set up with Django on the
        benchmark's database; returns what it returned (JSON)."""
        done = subprocess.run(
            [sys.executable, "-m", "concord.bench.harness", target, json.dumps(kwargs)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            raise BenchError(f"{target} failed ({done.returncode}): {tail}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start(self, name: str, *args: str, extra: dict[str, str] | None = None) -> Process:
        """Start ``concord ARGS`` in a session of its own; stopped when the workspace ends."""
        index = len(self.processes)
        out, err = self.folder / f"{index}-{name}.out", self.folder / f"{index}-{name}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            popen = subprocess.Popen(
                [sys.executable, "-m", "concord.cli", *args],
                env={**self.env, **(extra or {})},
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
        process = Process(name, popen, out, err)
        self.processes.append(process)
        return process

    def serve(self, workers: int, extra: dict[str, str] | None = None) -> tuple[Process, int]:
        """``concord serve --workers N`` on a free loopback port, once every process answers."""
        port = free_port()
        process = self.start(
            "serve", "serve", "--host", HOST, "--port", str(port), "--workers", str(workers),
            extra=extra,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not process.alive():
                raise BenchError(f"concord serve exited: {process.stderr_tail()}")
            if _answers(port) and len(server_processes(process)) >= 1 + (workers > 1) * workers:
                time.sleep(1.0)  # the other server processes finish importing
                return process, port
            time.sleep(0.2)
        raise BenchError(f"concord serve did not answer on port {port}: {process.stderr_tail()}")

    # SQL ------------------------------------------------------------------------------------

    def sql(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with connect(self.url, autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

    def connections(self) -> dict[str, int]:
        """The server's connection limit and what is in use now, by everyone (the server may be
        shared: a benchmark must not take the connections other work needs)."""
        (limit, used), *_ = self.sql(
            "SELECT current_setting('max_connections')::int,"
            " (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
        )
        return {"max_connections": limit, "in_use": used, "free": limit - used - SPARE}


def server_processes(process: Process) -> list[dict[str, Any]]:
    """The server's processes (the supervisor and the uvicorn workers it spawned)."""
    found = [{"pid": process.pid, "role": "parent"}]
    for pid in descendants(process.pid):
        line = command_line(pid)
        role = (
            "uvicorn worker"
            if "spawn_main" in line
            else "resource tracker"
            if "resource_tracker" in line
            else "other"
        )
        found.append({"pid": pid, "role": role, "command": line[:80]})
    return found


def memory(processes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each process's peak RSS (read while it still runs)."""
    return [
        {"pid": p["pid"], "role": p["role"], "peak_rss_mb": peak_rss_mb(p["pid"])}
        for p in processes
    ]


def memory_rows(processes: list[dict[str, Any]]) -> list[tuple[str, Any, Any]]:
    """Table rows: the peak RSS of each server process."""
    return [(f"peak RSS, {p['role']} (MiB)", p["peak_rss_mb"], None) for p in processes]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=2) as s:
            s.sendall(
                b"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
            s.settimeout(5)
            return s.recv(12).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def workspace(label: str, demo: bool = True) -> Iterator[Workspace]:
    """Create ``concord_bench_<random>``, seed it with ``concord demo``; at the end stop every
    process started and DROP the database WITH (FORCE), whatever happened."""
    server = server_url()
    name = f"concord_bench_{uuid.uuid4().hex[:12]}"
    folder = Path(tempfile.mkdtemp(prefix=f"concord-bench-{label}-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCORD_") or k in PASSED_ON}
    env.update(
        {
            "CONCORD_DATABASE_URL": database_url(server, name),
            "CONCORD_VAR_DIR": str(folder),
            "PYTHONUNBUFFERED": "1",
        }
    )
    space = Workspace(server, name, env["CONCORD_DATABASE_URL"], folder, env)
    try:
        with connect(server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            if demo:
                progress(f"database {name}: concord demo")
                space.concord("demo", timeout=300)
            yield space
        finally:
            stop_all(space.processes)
            with connect(server, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- HTTP -----------------------------------------------------------------------------------------


class HttpError(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class Connection:
    """One HTTP/1.1 keep-alive connection to a loopback server, on asyncio streams."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port, limit=1 << 20)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await self.writer.wait_closed()
            self.reader = self.writer = None

    async def send(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> None:
        if self.writer is None:
            await self.open()
        assert self.writer is not None
        self.writer.write(request_bytes(method, path, self.port, headers, body))
        await self.writer.drain()

    async def head(self) -> tuple[int, dict[str, str]]:
        assert self.reader is not None
        return parse_head(await self.reader.readuntil(b"\r\n\r\n"))

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Response:
        await self.send(method, path, headers, body)
        assert self.reader is not None
        status, head = await self.head()
        if "content-length" in head:
            data = await self.reader.readexactly(int(head["content-length"]))
        elif head.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunks.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            data = b"".join(c[:-2] for c in chunks)
        else:
            data = b""
        if head.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, head, data)


def request_bytes(
    method: str, path: str, port: int, headers: dict[str, str] | None, body: bytes
) -> bytes:
    """An HTTP/1.1 request to the loopback server on ``port``."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def parse_head(raw: bytes) -> tuple[int, dict[str, str]]:
    """The status and headers (names in lower case) of a response's head."""
    status_line, *rest = raw.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise HttpError(f"bad status line {status_line!r}")
    headers: dict[str, str] = {}
    for line in rest:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    return int(parts[1]), headers


def parse_response(buffer: bytearray) -> tuple[Response, int] | None:
    """The first whole response in ``buffer`` and the bytes it takes, or None until it is in."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    status, headers = parse_head(bytes(buffer[:end]))
    at = end + 4
    if "content-length" in headers:
        size = int(headers["content-length"])
        if len(buffer) < at + size:
            return None
        return Response(status, headers, bytes(buffer[at : at + size])), at + size
    if headers.get("transfer-encoding", "").lower() != "chunked":
        return Response(status, headers, b""), at
    chunks = []
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        size = int(bytes(buffer[at:line_end]).split(b";")[0], 16)
        if len(buffer) < line_end + 2 + size + 2:
            return None
        chunks.append(bytes(buffer[line_end + 2 : line_end + 2 + size]))
        at = line_end + 2 + size + 2
        if size == 0:
            return Response(status, headers, b"".join(chunks)), at


class Client(asyncio.Protocol):
    """A lighter keep-alive HTTP/1.1 client for request after request (an asyncio protocol, no
    streams): a load generator shares the machine with the server it measures, so the less it
    costs, the less it takes from what is measured. One request at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[Response] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is None or self.waiter.done():
            return
        try:
            parsed = parse_response(self.buffer)
        except (HttpError, ValueError) as exc:
            self.waiter.set_exception(HttpError(str(exc)))
            return
        if parsed is not None:
            response, used = parsed
            del self.buffer[:used]
            self.waiter.set_result(response)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(EOFError("the server closed the connection"))

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Response:
        loop = asyncio.get_running_loop()
        if self.transport is None:
            self.buffer.clear()
            await loop.create_connection(lambda: self, HOST, self.port)
        assert self.transport is not None
        self.waiter = loop.create_future()
        self.transport.write(request_bytes(method, path, self.port, headers, body))
        response = await self.waiter
        if response.headers.get("connection", "").lower() == "close":
            await self.close()
        return response

    async def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None


def opener() -> Any:
    """A urllib opener with cookies and without any proxy: requests go straight to loopback."""
    import http.cookiejar
    import urllib.request

    jar = http.cookiejar.CookieJar()
    built = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar)
    )
    built.jar = jar
    return built


def sign_in(space: Workspace, port: int, username: str) -> str:
    """Sign ``username`` in through the pages (password, then the demo second factor), keeping
    the CSRF token and cookies; returns the ``Cookie`` header value of the verified session."""
    import urllib.request

    base = f"http://{HOST}:{port}"
    browser = opener()

    def post(path: str, fields: dict[str, str]) -> str:
        with browser.open(f"{base}{path}", timeout=30) as page:
            text = page.read().decode()
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        if found is None:
            raise BenchError(f"no CSRF token on {path}")
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": found.group(1)}).encode()
        request = urllib.request.Request(
            f"{base}{path}", data=data, headers={"Referer": f"{base}{path}"}
        )
        with browser.open(request, timeout=30) as response:
            response.read()
            return str(response.geturl())

    post("/accounts/login/", {"username": username, "password": "concord-demo"})
    code = space.concord("demo-code").stdout.strip()
    landed = post("/accounts/verify/", {"token": code})
    if not landed.endswith("/desk/"):
        raise BenchError(f"signing in {username} ended on {landed}")
    return "; ".join(f"{c.name}={c.value}" for c in browser.jar)


def machine() -> dict[str, Any]:
    """What else the machine is doing: the load average and the number of cores."""
    one, five, _fifteen = os.getloadavg()
    return {"cores": os.cpu_count(), "load_1m": round(one, 2), "load_5m": round(five, 2)}


def cpu_seconds(pids: Sequence[int]) -> float:
    """User plus system CPU time the processes have used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def busy_fraction() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return float(sum(fields) - idle), float(sum(fields))


# -- figures --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank percentile ``p`` (0 to 100) of ``values``; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def latency_ms(samples: Sequence[float]) -> dict[str, float | None]:
    """p50, p99 and max of durations in seconds, in milliseconds."""
    return {
        "p50_ms": ms(percentile(samples, 50)),
        "p99_ms": ms(percentile(samples, 99)),
        "max_ms": ms(max(samples) if samples else None),
    }


def ratio(ours: float | None, reference: float | None) -> float | None:
    if not ours or not reference:
        return None
    return float(f"{ours / reference:.4g}")


def result(
    bench: str,
    *,
    params: dict[str, Any],
    ours: dict[str, Any],
    reference: dict[str, Any],
    goal: str,
    goal_met: bool,
    rows: list[tuple[str, Any, Any]],
    ratio: float | None = None,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """The result of one run: what ``--json`` prints, plus the rows of the table."""
    return {
        "bench": bench,
        "params": params,
        "ours": ours,
        "reference": reference,
        "ratio": ratio,
        "goal": goal,
        "goal_met": goal_met,
        "notes": notes or [],
        "table": [[label, _cell(a), _cell(b)] for label, a, b in rows],
    }


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render(data: dict[str, Any]) -> str:
    """The table a person reads."""
    rows = [["", "ours", "reference"], *data["table"]]
    widths = [max(len(str(r[i])) for r in rows) for i in range(3)]
    params = ", ".join(f"{k}={v}" for k, v in data["params"].items())
    lines = [f"concord bench {data['bench']} ({params})", ""]
    for i, row in enumerate(rows):
        lines.append(
            f"  {row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}".rstrip()
        )
        if i == 0:
            lines.append("  " + "-" * (sum(widths) + 4))
    lines.append("")
    if data.get("ratio") is not None:
        lines.append(f"ratio ours/reference: {data['ratio']}")
    lines.append(f"goal: {data['goal']}: {'met' if data['goal_met'] else 'NOT met'}")
    lines += [f"note: {n}" for n in data.get("notes", [])]
    return "\n".join(lines)


# -- running code in a Django process -------------------------------------------------------------


def _django_main(argv: list[str]) -> int:
    """``python -m concord.bench.harness module:function JSON``: set Django up on the database of
    the environment, call the function with the JSON's keyword arguments, print its result."""
    import importlib

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "concord.settings")
    import django

    django.setup()
    module, _, function = argv[0].partition(":")
    found = getattr(importlib.import_module(module), function)
    value = found(**json.loads(argv[1]))
    print(json.dumps(value, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(_django_main(sys.argv[1:]))
