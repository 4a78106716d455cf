"""``python -m service``: gunicorn runs ``RAG_WORKERS`` uvicorn workers on one port.

gunicorn (the arbiter) binds the port, forks the workers, replaces one that dies, and on
SIGTERM stops them gracefully; its ``reuse_port`` gives each worker a listening socket of
its own (SO_REUSEPORT), so the kernel spreads connections over them (see
docs/performance.md for the measurement against one shared socket). Each worker is
uvicorn-worker's class with two additions: the drain phase (``GracefulServer``: /readyz
answers 503 for ``RAG_DRAIN_SECONDS`` before the socket closes) and a deadline on request
headers (``service.protocol``). The arbiter checks the index once before forking, and the
workers inherit the result (``index.generation.trust``) instead of hashing every file again.
SIGHUP to the arbiter is passed on to the workers, which look for a new index generation
at once (gunicorn's own reload would replace them all).
Metrics from every worker add up through ``PROMETHEUS_MULTIPROC_DIR``.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from uvicorn_worker import UvicornWorker

from index import generation
from index.generation import IndexLoadError, Verified
from service.config import Settings, get_settings
from service.protocol import with_header_deadline

log = logging.getLogger(__name__)
GRACEFUL_TIMEOUT_S = 30  # for requests in flight after the drain phase


class GracefulServer(uvicorn.Server):
    """Marks the app as draining before uvicorn stops accepting and waits for open requests."""

    def __init__(self, config: uvicorn.Config, drain_seconds: float = 0.0) -> None:
        super().__init__(config)
        self.drain_seconds = drain_seconds

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


class IndexArbiter(Arbiter):
    """gunicorn's arbiter, except that SIGHUP asks every worker to look for a new index
    generation at once (``service.reload``) instead of replacing all the workers."""

    def handle_hup(self) -> None:
        self.log.info("SIGHUP: every worker looks for a new index generation now")
        self.kill_workers(signal.SIGHUP)


class Worker(UvicornWorker):
    """uvicorn-worker's class, serving through ``GracefulServer`` and the header deadline."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        settings = get_settings()
        self.CONFIG_KWARGS = {
            **UvicornWorker.CONFIG_KWARGS,
            "http": with_header_deadline(settings.header_timeout_s),
            "timeout_graceful_shutdown": GRACEFUL_TIMEOUT_S,
        }
        super().__init__(*args, **kwargs)
        self.drain_seconds = settings.drain_seconds

    def init_signals(self) -> None:
        super().init_signals()
        # until the app takes SIGHUP (at start-up), one must not end the worker
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    async def _serve(self) -> None:
        # uvicorn-worker's own _serve, with GracefulServer for uvicorn's Server
        self.config.app = self.wsgi
        server = GracefulServer(self.config, self.drain_seconds)
        self._install_sigquit_handler()
        await server.serve(sockets=self.sockets)
        if not server.started:
            sys.exit(self.arbiter.WORKER_BOOT_ERROR)


class Service(BaseApplication):
    """gunicorn configured from ``Settings`` rather than from its command line."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        host = f"[{s.host}]" if ":" in s.host else s.host
        options = {
            "bind": f"{host}:{s.port}",
            "workers": s.workers,
            "worker_class": "service.serve.Worker",
            "reuse_port": True,
            "graceful_timeout": math.ceil(s.drain_seconds) + GRACEFUL_TIMEOUT_S,
            "keepalive": 5,
            "timeout": 60,  # a worker silent this long (no heartbeat) is killed and replaced
            "loglevel": s.log_level.lower(),
            "accesslog": None,  # the app logs each request, with its id
            "proc_name": "newsqa",
            "on_starting": _on_starting,
            "post_fork": _post_fork,
            "child_exit": _child_exit,
            "on_exit": _on_exit,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def run(self) -> None:
        try:
            IndexArbiter(self).run()
        except RuntimeError as exc:  # what gunicorn's own run does with a start-up error
            log.error("gunicorn could not start: %s", exc)
            sys.exit(1)

    def load(self) -> Any:
        # in each worker, after the fork: the model and the index are the worker's own
        from service.api import app_from_env

        return app_from_env()


def verify_index(index_dir: Path) -> Verified | None:
    """The live index checked once, before the workers start: hashing is most of a large
    index's start-up (about 1 s per GB), and each worker hashing every file again would
    only repeat it. None when it cannot be verified: each worker then checks it itself,
    falls back on an older generation or reports what is wrong on /readyz."""
    try:
        return generation.verify(index_dir)
    except IndexLoadError as exc:
        log.warning("the index was not verified (%s): each worker will check it", exc.reason)
        return None


def _on_starting(_arbiter: Any) -> None:
    """In the arbiter, before any worker: shared metrics, and the index checked once."""
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="newsqa-metrics-")
    generation.trust(verify_index(Path(get_settings().index_dir)))  # inherited by the fork


def _post_fork(_arbiter: Any, _worker: Any) -> None:
    """In each new worker: metric values go to the shared files. prometheus_client picks
    its value class when first imported, which in the arbiter (logging set-up imports it)
    came before ``PROMETHEUS_MULTIPROC_DIR`` was set."""
    from prometheus_client import values

    values.ValueClass = values.get_value_class()


def _child_exit(_arbiter: Any, worker: Any) -> None:
    """A worker's live gauges stop counting when it exits."""
    from prometheus_client import multiprocess

    shared = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if shared:
        multiprocess.mark_process_dead(worker.pid, shared)


def _on_exit(_arbiter: Any) -> None:
    shared = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if shared:
        shutil.rmtree(shared, ignore_errors=True)


def run(settings: Settings) -> int:
    """Serve until stopped; gunicorn exits the process itself on a fatal error."""
    Service(settings).run()
    return 0
