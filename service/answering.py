"""One bound and one deadline on answering, whichever way a question comes in.

HTTP ``/ask`` awaits ``Answering.ask``. Slack's listeners run in bolt's threads and call
``Answering.ask_blocking``, which runs the same coroutine on the server's event loop: a
question from Slack takes a slot of the same ``RAG_MAX_IN_FLIGHT`` and gets the same
``RAG_REQUEST_TIMEOUT_S`` as one over HTTP. Only questions being answered hold a slot: a
client still sending its request body holds none.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading

import anyio

from service.observe import Metrics
from service.pipeline import Answer, Pipeline

log = logging.getLogger(__name__)


class Busy(Exception):
    """Every answering slot is taken: retry shortly."""


class TooSlow(Exception):
    """No answer within the request timeout."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(f"no answer within {timeout_s:g} s")
        self.timeout_s = timeout_s


class Answering:
    """Questions being answered in this process: at most ``max_in_flight``, each within
    ``timeout_s``. Its counter is only touched on the event loop, so it needs no lock."""

    def __init__(
        self, *, max_in_flight: int, timeout_s: float, threads: int, metrics: Metrics
    ) -> None:
        self.max_in_flight = max_in_flight
        self.timeout_s = timeout_s
        self.in_flight = 0
        self.metrics = metrics
        # Without batching a process answers ``threads`` questions at once, each in a
        # thread (2 alone on 2 cores, 1 per worker); with it, /ask needs no thread at all.
        self.limiter = anyio.CapacityLimiter(threads)
        self.loop: asyncio.AbstractEventLoop | None = None

    def bind(self) -> None:
        """Remember the server's event loop (called at start-up, on it) for ``ask_blocking``."""
        self.loop = asyncio.get_running_loop()

    def run_own_loop(self) -> None:
        """Answer on an event loop in a thread of its own (Slack over Socket Mode, where
        no web server runs one)."""
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="answering-loop", daemon=True).start()
        self.loop = loop

    async def ask(
        self,
        pipeline: Pipeline,
        question: str,
        top_k: int | None = None,
        context: str | None = None,
    ) -> Answer:
        """The pipeline's answer; ``Busy`` when the slots are taken, ``TooSlow`` past the
        deadline (the thread of an unbatched answer is abandoned, not stopped).

        ``context``: a chat thread's earlier question (see ``Pipeline.ask``): a follow-up and
        its retry with it take one slot and one deadline."""
        if self.in_flight >= self.max_in_flight:
            self.metrics.rejected.labels("overloaded").inc()
            raise Busy
        self.in_flight += 1
        self.metrics.answering.inc()
        try:
            with anyio.fail_after(self.timeout_s):
                if pipeline.batcher is not None:  # waits on the encoder thread, reads here
                    answer = await pipeline.ask_async(question, top_k, context=context)
                else:
                    answer = await anyio.to_thread.run_sync(
                        functools.partial(pipeline.ask, question, top_k, context=context),
                        limiter=self.limiter,
                        abandon_on_cancel=True,
                    )
        except TimeoutError:
            raise TooSlow(self.timeout_s) from None
        finally:
            self.in_flight -= 1
            self.metrics.answering.dec()
        self.metrics.answers.labels("abstained" if answer.text is None else "answered").inc()
        return answer

    def ask_blocking(
        self,
        pipeline: Pipeline,
        question: str,
        top_k: int | None = None,
        context: str | None = None,
    ) -> Answer:
        """``ask`` from a thread that is not the event loop's (bolt's listeners)."""
        if self.loop is None or self.loop.is_closed():
            raise RuntimeError("answering has not started: no event loop to answer on")
        future = asyncio.run_coroutine_threadsafe(
            self.ask(pipeline, question, top_k, context), self.loop
        )
        return future.result()
