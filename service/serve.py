"""uvicorn with a draining phase, in one process or several sharing the port.

On SIGTERM /readyz turns 503: for ``drain_seconds`` the server keeps accepting (readiness
probes see 503) before uvicorn stops listening and waits for the requests in flight.
Ctrl-C (SIGINT) does not wait.

With ``workers`` > 1 a small supervisor claims the port and starts that many worker
processes, each its own interpreter listening with SO_REUSEPORT, so Python work runs on
every core instead of taking turns under one GIL. It passes SIGTERM/SIGINT on to them,
restarts one that dies, and exits when they have all drained. Metrics are shared through
``PROMETHEUS_MULTIPROC_DIR``; each worker's count of open connections through a small
shared array, so a worker holding more than its share of keep-alive connections asks
clients to reconnect (``service.balance``).
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from uvicorn._subprocess import get_subprocess  # uvicorn's own spawn helper for workers

from index import generation
from index.generation import IndexLoadError, Verified
from service.balance import STARTING, ConnectionShares, ShedOverShare

log = logging.getLogger(__name__)


class GracefulServer(uvicorn.Server):
    """Marks the app as draining before uvicorn stops accepting and waits for open requests."""

    def __init__(
        self,
        config: uvicorn.Config,
        drain_seconds: float = 0.0,
        shares: ConnectionShares | None = None,
    ) -> None:
        super().__init__(config)
        self.drain_seconds = drain_seconds
        self.shares = shares

    async def on_tick(self, counter: int) -> bool:
        if self.shares is not None:  # every 0.1 s: what the other workers balance against
            self.shares.publish(len(self.server_state.connections))
        return await super().on_tick(counter)

    def _app_state(self) -> Any:
        """The app's state, also when uvicorn loaded the app from an import string."""
        app: Any = self.config.app if not isinstance(self.config.app, str) else None
        app = app or getattr(self.config, "loaded_app", None)
        for _ in range(10):  # middleware wraps the app: follow .app down to it
            if app is None or hasattr(getattr(app, "state", None), "rag"):
                break
            app = getattr(app, "app", None)
        return getattr(getattr(app, "state", None), "rag", None)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        state = self._app_state()
        if state is not None and not state.draining:
            state.draining = True
            log.info("draining: /readyz now answers 503; finishing requests in flight")
            if self.drain_seconds > 0 and sig == signal.SIGTERM:
                # let load balancers see the 503 before the listening socket closes
                threading.Timer(self.drain_seconds, super().handle_exit, (sig, frame)).start()
                return
        super().handle_exit(sig, frame)


def run(app: Any, host: str, port: int, drain_seconds: float) -> None:
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, timeout_graceful_shutdown=30
    )
    GracefulServer(config, drain_seconds).run()


def reuseport_socket(host: str, port: int, listen: bool = True) -> socket.socket:
    """A TCP socket on ``host:port`` with SO_REUSEPORT: the kernel spreads new connections
    over every process listening this way by hashing the connection. One shared listening
    socket instead lets whichever worker wakes first accept a whole burst (asyncio accepts
    up to 100 connections per wake-up): measured, 16 clients sometimes all landed on one
    worker and halved the throughput."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        if listen:
            sock.listen(2048)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


def verify_index(index_dir: Path) -> Verified | None:
    """The live index checked once, here, before the workers start: hashing is most of a
    large index's start-up (about 1 s per GB), and each worker hashing every file again
    would only repeat it. None when it cannot be verified: each worker then checks it
    itself and reports what is wrong on /readyz."""
    try:
        return generation.verify(index_dir)
    except IndexLoadError as exc:
        log.warning("the index was not verified (%s): each worker will check it", exc.reason)
        return None


def _serve_worker(
    config: uvicorn.Config,
    drain_seconds: float,
    counts: Any,
    slot: int,
    verified: Verified | None,
    sockets: list[socket.socket],
) -> None:
    del sockets  # each worker listens on its own SO_REUSEPORT socket
    generation.trust(verified)
    sock = reuseport_socket(config.host, config.port)
    shares = ConnectionShares(counts, slot)
    config.load()
    config.loaded_app = ShedOverShare(config.loaded_app, shares)
    GracefulServer(config, drain_seconds, shares).run(sockets=[sock])


MAX_RESTARTS = 5  # within RESTART_WINDOW_S; more means a crash loop: stop instead
RESTART_WINDOW_S = 60.0


def run_workers(
    workers: int,
    host: str,
    port: int,
    drain_seconds: float,
    verified: Verified | None = None,
) -> int:
    """Serve ``service.api:app_from_env`` from ``workers`` processes; returns an exit code.

    ``verified``: the index as checked by ``verify_index``, so workers need not hash it.
    """
    shared = tempfile.mkdtemp(prefix="newsqa-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = shared  # inherited by the spawned workers
    config = uvicorn.Config(
        "service.api:app_from_env",
        factory=True,
        host=host,
        port=port,
        log_config=None,
        timeout_graceful_shutdown=30,
    )
    # Bound, never listening: claims the port (a clash fails here, before any worker starts)
    # without taking connections from the workers' own listening sockets.
    sock = reuseport_socket(host, port, listen=False)
    # Each worker's open connections, in shared memory (see service.balance). No lock: each
    # slot has one writer, and a reader only needs a recent value, not a consistent set.
    counts = multiprocessing.get_context("spawn").RawArray("i", workers)
    # Signal handlers run in this (the main) thread, between the loop's steps: no locks.
    stopping: list[int] = []  # the signal to pass on, once one arrived
    signalled: set[int] = set()
    procs: list[BaseProcess] = []

    def start(slot: int) -> BaseProcess:
        counts[slot] = STARTING  # a replaced worker's connections died with it
        target = functools.partial(_serve_worker, config, drain_seconds, counts, slot, verified)
        proc = get_subprocess(config, target, [])
        proc.start()
        return proc

    def pass_on() -> None:
        for proc in procs:
            if proc.pid is not None and proc.pid not in signalled and proc.is_alive():
                os.kill(proc.pid, stopping[0])
                signalled.add(proc.pid)

    def forward(sig: int, _frame: FrameType | None) -> None:
        log.info("signal %s: passing it on to the workers", signal.Signals(sig).name)
        if not stopping:
            stopping.append(sig)
        elif sig == signal.SIGINT:
            stopping[0] = sig
            signalled.clear()  # a second Ctrl-C: tell them again (uvicorn then stops at once)
        pass_on()

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    restarts: list[float] = []
    code = 0
    try:
        for slot in range(workers):
            if not stopping:
                procs.append(start(slot))
        log.info("serving on %s:%d with %d worker processes", host, port, len(procs))
        while True:
            time.sleep(0.2)
            if stopping:
                pass_on()  # also reaches a worker started just as the signal came
                if not any(p.is_alive() for p in procs):
                    break
                continue
            for i, proc in enumerate(procs):
                if proc.is_alive():
                    continue
                now = time.monotonic()
                restarts = [t for t in restarts if now - t < RESTART_WINDOW_S] + [now]
                if len(restarts) > MAX_RESTARTS:
                    log.error("workers keep dying (last exit %s): stopping", proc.exitcode)
                    forward(signal.SIGTERM, None)
                    code = 1
                    break
                log.error("worker %s exited with %s: starting another", proc.pid, proc.exitcode)
                procs[i] = start(i)
    finally:
        for proc in procs:
            proc.join()
        for s, handler in previous.items():
            signal.signal(s, handler)
        sock.close()
        shutil.rmtree(shared, ignore_errors=True)
    return code
