"""``concord serve --workers N``: one listening socket per worker (SO_REUSEPORT), so that
connections are spread over the workers; a port in use is refused; a killed worker is replaced
on its own socket and no connection is refused meanwhile."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import time

from concord.bench.harness import command_line, descendants, tcp_connections, tcp_sockets
from tests.functional.conftest import free_port

LISTENING = "0A"


def workers_of(pid: int) -> list[int]:
    return [p for p in descendants(pid) if "spawn_main" in command_line(p)]


def listening(pids: list[int], port: int) -> dict[int, list[str]]:
    """Each process's listening sockets on ``port`` (socket inodes)."""
    return {pid: tcp_sockets(pid, port, LISTENING) for pid in pids}


def get(port: int, timeout: float = 60) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/accounts/login/")
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def until(check, seconds: float = 90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.1)
    raise AssertionError("gave up waiting")


def start(cli, port: int):
    """The server, once both workers listen, each on a socket of its own."""
    proc = cli.popen("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2")
    try:
        until(
            lambda: (
                len(workers_of(proc.pid)) == 2
                and all(listening(workers_of(proc.pid), port).values())
            )
        )
    except AssertionError:
        proc.kill()
        raise
    return proc


def test_each_worker_listens_on_its_own_socket_and_connections_are_spread(cli):
    port = free_port()
    proc = start(cli, port)
    opened: list[socket.socket] = []
    try:

        def own_sockets() -> list[int] | None:
            workers = workers_of(proc.pid)
            found = listening(workers, port)
            alone = len(found) == 2 and all(len(inodes) == 1 for inodes in found.values())
            return workers if alone and len({i[0] for i in found.values()}) == 2 else None

        # Each worker on a socket of its own (with one shared socket this never holds).
        try:
            workers = until(own_sockets, seconds=30)
        except AssertionError:
            raise AssertionError(listening(workers_of(proc.pid), port)) from None
        assert get(port) == 200

        # 40 connections at once (no request, so none is served and closed): the kernel hands
        # each to one worker's socket by its addresses.
        opened = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(40)]

        def all_accepted() -> list[int] | None:
            spread = [tcp_connections(pid, port) for pid in workers]
            return spread if sum(spread) == 40 else None

        spread = until(all_accepted, seconds=4)  # before the server drops idle connections (5 s)
        assert min(spread) >= 8, spread  # a binomial(40, ½) split below 8 is a 1-in-50,000 event

        second = cli.run("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2")
        assert second.returncode == 1
        assert f"cannot listen on 127.0.0.1:{port}" in second.stderr
    finally:
        for sock in opened:
            sock.close()
        proc.terminate()
        proc.communicate(timeout=30)


def test_a_killed_worker_is_replaced_on_its_socket_and_no_connection_is_refused(cli):
    port = free_port()
    proc = start(cli, port)
    try:
        victim, survivor = workers_of(proc.pid)
        its_socket = listening([victim], port)[victim]
        os.kill(victim, signal.SIGKILL)
        # New connections keep coming: those the kernel hands to the dead worker's socket wait
        # in its queue until the replacement takes them; none is refused or reset.
        statuses = [get(port) for _ in range(30)]
        assert statuses == [200] * 30

        def replaced() -> list[int] | None:
            now = workers_of(proc.pid)
            return now if len(now) == 2 and victim not in now else None

        now = until(replaced, seconds=60)
        assert survivor in now
        replacement = next(pid for pid in now if pid != survivor)
        assert until(lambda: listening([replacement], port)[replacement]) == its_socket
        assert get(port) == 200
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
