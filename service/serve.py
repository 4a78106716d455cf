"""uvicorn with a draining phase: on SIGTERM /readyz turns 503, in-flight requests finish.

For ``drain_seconds`` after SIGTERM the server keeps accepting (readiness probes see 503)
before uvicorn stops listening and waits for the requests in flight. Ctrl-C (SIGINT) does
not wait.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Any

import uvicorn

log = logging.getLogger(__name__)


class GracefulServer(uvicorn.Server):
    """Marks the app as draining before uvicorn stops accepting and waits for open requests."""

    def __init__(self, config: uvicorn.Config, drain_seconds: float = 0.0) -> None:
        super().__init__(config)
        self.drain_seconds = drain_seconds

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        state = getattr(getattr(self.config.app, "state", None), "rag", None)
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
