"""Micro-batching of question embeddings: concurrent questions share one encoder call.

A single worker thread takes the first waiting question, adds whatever else is already
queued (up to ``max_batch``; optionally waiting ``max_wait_ms`` for more), encodes them
together and hands each caller its row. With one client nothing is queued behind it, so
nothing waits: the single-client latency stays the encoder's own.

ONNX Runtime encodes about as many questions per second at batch 1 as at batch 8 on this
CPU, so the gain is less the batch than the thread: the encoder runs (without the GIL) while
the event loop parses requests and reads answers, and a request thread no longer waits on
it (``encode_async``). What ``encode`` does with a batch is the caller's: the pipeline runs
int8 questions one by one inside it, since their vectors would depend on their neighbours.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np

log = logging.getLogger(__name__)
EncodeFn = Callable[[list[str]], np.ndarray]


class MicroBatcher:
    def __init__(self, encode: EncodeFn, max_batch: int = 32, max_wait_ms: float = 0.0) -> None:
        self._encode = encode
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self._queue: queue.SimpleQueue[tuple[str, Future[np.ndarray]] | None] = queue.SimpleQueue()
        self.batches = 0
        self.items = 0
        self._thread = threading.Thread(target=self._run, name="encoder-batcher", daemon=True)
        self._thread.start()

    def encode(self, text: str) -> np.ndarray:
        """The embedding of ``text``, computed together with whatever else is waiting."""
        fut: Future[np.ndarray] = Future()
        self._queue.put((text, fut))
        return fut.result()

    async def encode_async(self, text: str) -> np.ndarray:
        """``encode`` for the event loop: it waits without holding a thread.

        Cancelling the wait (a request timeout) cancels the question if it is still queued.
        """
        fut: Future[np.ndarray] = Future()
        self._queue.put((text, fut))
        return await asyncio.wrap_future(fut)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _collect(
        self, first: tuple[str, Future[np.ndarray]]
    ) -> list[tuple[str, Future[np.ndarray]]]:
        batch = [first]
        deadline = time.monotonic() + self.max_wait
        while len(batch) < self.max_batch:
            try:
                remaining = deadline - time.monotonic()
                item = (
                    self._queue.get(timeout=remaining)
                    if remaining > 0
                    else self._queue.get_nowait()
                )
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)  # let the loop see the stop after this batch
                break
            batch.append(item)
        return batch

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            # A caller that gave up (a timed-out request) is dropped, not encoded; the rest
            # can no longer be cancelled, so setting their results below cannot fail.
            batch = [it for it in self._collect(first) if it[1].set_running_or_notify_cancel()]
            if not batch:
                continue
            try:
                vectors = self._encode([text for text, _ in batch])
            except Exception as exc:  # every caller of this batch gets the error
                log.exception("batch encode failed")
                for _, fut in batch:
                    fut.set_exception(exc)
                continue
            self.batches += 1
            self.items += len(batch)
            for (_, fut), row in zip(batch, vectors, strict=True):
                fut.set_result(row)


class EmbeddingCache:
    """A small thread-safe LRU of question embeddings (repeated questions skip the encoder)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> np.ndarray | None:
        if self.size <= 0:
            return None
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def put(self, key: str, value: np.ndarray) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)
