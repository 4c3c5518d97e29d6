"""``concord serve --workers N``: one listening socket per worker (SO_REUSEPORT), so that
connections are spread over the workers; a port in use is refused; a killed worker is replaced
on its own socket and no connection is refused meanwhile."""

from __future__ import annotations

import http.client
import os
import signal
import time

from concord.bench.harness import command_line, descendants, tcp_connections
from tests.functional.conftest import free_port


def workers_of(pid: int) -> list[int]:
    return [p for p in descendants(pid) if "spawn_main" in command_line(p)]


def get(port: int, timeout: float = 60) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/accounts/login/")
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def start(cli, port: int):
    proc = cli.popen("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if len(workers_of(proc.pid)) == 2:
            try:
                if get(port, timeout=2) == 200:
                    return proc
            except OSError:
                pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not start")


def test_connections_are_spread_over_the_workers_and_a_taken_port_is_refused(cli):
    port = free_port()
    proc = start(cli, port)
    held: list[http.client.HTTPConnection] = []
    try:
        for _ in range(40):  # kept open: each stays with the worker that accepted it
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/accounts/login/")
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            held.append(conn)
        spread = [tcp_connections(pid, port) for pid in workers_of(proc.pid)]
        assert sum(spread) == 40
        assert min(spread) >= 8, spread  # evenly by the kernel's hash (one socket: 44 and 20)

        second = cli.run("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2")
        assert second.returncode == 1
        assert f"cannot listen on 127.0.0.1:{port}" in second.stderr
    finally:
        for conn in held:
            conn.close()
        proc.terminate()
        proc.communicate(timeout=30)


def test_a_killed_worker_is_replaced_on_its_socket_and_no_connection_is_refused(cli):
    port = free_port()
    proc = start(cli, port)
    try:
        victim, survivor = workers_of(proc.pid)
        os.kill(victim, signal.SIGKILL)
        # New connections keep coming: those the kernel hands to the dead worker's socket wait
        # in its queue until the replacement takes them; none is refused or reset.
        statuses = [get(port) for _ in range(30)]
        assert statuses == [200] * 30
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = workers_of(proc.pid)
            if len(now) == 2 and victim not in now:
                break
            time.sleep(0.1)
        assert len(now) == 2 and survivor in now and victim not in now
        assert get(port) == 200
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
