"""``concord serve --workers N``: uvicorn's supervisor, with one listening socket per worker.

With one socket shared by every worker, the worker that wakes first accepts whatever is waiting:
a burst of new connections (clients starting together, a load balancer reconnecting) lands
unevenly, and the connections stay where they landed (seen: 44 and 20 of 64 on two workers), so
one process queues while the other idles. Here the supervisor binds one socket per worker with
``SO_REUSEPORT`` and the kernel spreads connections over them by their addresses.

The supervisor binds the sockets and listens on them before any worker starts, and keeps them
open, so a connection made while a worker starts or restarts waits in that socket's queue for it
instead of being refused. Before binding, the port is probed without ``SO_REUSEPORT``, so that a
port already in use (by another server, or another ``concord serve``) is an error as before, not
silently shared.

The trade-off: a worker whose event loop is stuck (it still answers the supervisor's health
check, from a thread) keeps its socket, and the connections the kernel hands to that socket wait;
with one shared socket the other workers would have taken them.
"""

from __future__ import annotations

import logging
import socket

from uvicorn import Config
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess, Process

log = logging.getLogger("uvicorn.error")


def reuse_port_sockets(
    host: str, port: int, count: int, backlog: int = 2048
) -> list[socket.socket]:
    """``count`` listening sockets on ``host:port`` with ``SO_REUSEPORT`` (port 0: one free port
    for all of them), listening at once: connections wait in their queues until the workers are
    up, and no other server can slip in meanwhile. OSError if the port is taken."""
    reuse_port = getattr(socket, "SO_REUSEPORT", None)
    if reuse_port is None:
        raise OSError("this system has no SO_REUSEPORT: run one worker per server")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:  # taken? then fail as uvicorn would
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        port = probe.getsockname()[1]
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, reuse_port, 1)
            sock.bind((host, port))
            sock.listen(backlog)
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class Balanced(Multiprocess):
    """Worker ``i`` always serves socket ``i``: at start, when it dies and is replaced, and when
    SIGHUP replaces every worker. The number of workers is fixed (SIGTTIN/SIGTTOU are ignored:
    each worker needs a socket of its own)."""

    def __init__(self, config: Config) -> None:
        sockets = reuse_port_sockets(config.host, config.port, config.workers, config.backlog)
        super().__init__(config, sockets=sockets)
        self.failed = False  # a worker could not start: the server stops, and says so

    def _spawn(self, index: int) -> Process:
        process = Process(self.config, [self.sockets[index]])
        process.start()
        return process

    def init_processes(self) -> None:
        self.processes = [self._spawn(index) for index in range(len(self.sockets))]

    def keep_subprocess_alive(self) -> None:
        for index, process in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # dead or hung
            process.join()
            if process.exitcode == STARTUP_FAILURE:  # it would fail again: stop
                log.error("worker %s failed to start; stopping", process.pid)
                self.failed = True
                self.should_exit.set()
                return
            log.warning("worker %s stopped; starting another on its socket", process.pid)
            self.processes[index] = self._spawn(index)

    def restart_all(self) -> None:
        for index, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._spawn(index)
            timeout = self.config.timeout_worker_healthcheck
            if not new.wait_until_ready(timeout, self.should_exit):
                new.kill()
                new.join()
                log.error("the new worker %s was not ready in time; keeping %s", new.pid, old.pid)
                return
            old.terminate()
            old.join()
            self.processes[index] = new

    def handle_ttin(self) -> None:
        log.warning("SIGTTIN ignored: concord serve runs a fixed number of workers")

    def handle_ttou(self) -> None:
        log.warning("SIGTTOU ignored: concord serve runs a fixed number of workers")
