from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from service.batching import EmbeddingCache, MicroBatcher


def _rows(texts: list[str]) -> np.ndarray:
    return np.array([[float(len(t)), float(i)] for i, t in enumerate(texts)], dtype=np.float32)


def test_each_caller_gets_its_own_row() -> None:
    b = MicroBatcher(_rows, max_batch=8)
    texts = [f"q{'x' * i}" for i in range(40)]
    with ThreadPoolExecutor(16) as ex:
        got = list(ex.map(b.encode, texts))
    assert [int(r[0]) for r in got] == [len(t) for t in texts]
    assert b.items == 40
    b.close()


def test_questions_that_arrive_while_encoding_share_the_next_call() -> None:
    release = threading.Event()
    sizes: list[int] = []

    def slow(texts: list[str]) -> np.ndarray:
        sizes.append(len(texts))
        if len(sizes) == 1:
            release.wait(10)
        return _rows(texts)

    b = MicroBatcher(slow, max_batch=32)
    with ThreadPoolExecutor(8) as ex:
        first = ex.submit(b.encode, "first")
        while not sizes:
            pass
        rest = [ex.submit(b.encode, f"q{i}") for i in range(5)]
        while b._queue.qsize() < 5:  # all five queued behind the running batch
            pass
        release.set()
        first.result()
        [f.result() for f in rest]
    assert sizes == [1, 5]
    b.close()


def test_a_failed_encode_fails_every_caller_of_that_batch() -> None:
    def boom(texts: list[str]) -> np.ndarray:
        raise RuntimeError("encoder down")

    b = MicroBatcher(boom)
    with pytest.raises(RuntimeError, match="encoder down"):
        b.encode("q")
    b.close()


def test_lru_cache_evicts_the_least_recent() -> None:
    c = EmbeddingCache(2)
    a, b_, d = (np.ones(2) * i for i in range(3))
    c.put("a", a)
    c.put("b", b_)
    assert c.get("a") is a  # a is now the most recent
    c.put("d", d)
    assert c.get("b") is None and c.get("a") is a and c.get("d") is d
    assert (c.hits, c.misses) == (3, 1)


def test_cache_of_size_zero_stores_nothing() -> None:
    c = EmbeddingCache(0)
    c.put("a", np.ones(2))
    assert c.get("a") is None


def test_async_callers_share_batches_and_a_cancelled_one_is_dropped() -> None:
    """A request that times out while queued is never encoded; the batcher keeps serving."""
    release = threading.Event()
    seen: list[list[str]] = []

    def slow(texts: list[str]) -> np.ndarray:
        seen.append(texts)
        if len(seen) == 1:
            release.wait(10)
        return _rows(texts)

    b = MicroBatcher(slow, max_batch=32)

    async def scenario() -> tuple[np.ndarray, list[np.ndarray]]:
        first = asyncio.ensure_future(b.encode_async("first"))
        while not seen:
            await asyncio.sleep(0.001)
        with pytest.raises(TimeoutError):  # queued behind "first", then given up
            await asyncio.wait_for(b.encode_async("abandoned"), timeout=0.05)
        rest = [asyncio.ensure_future(b.encode_async(f"q{'x' * i}")) for i in range(3)]
        while b._queue.qsize() < 4:
            await asyncio.sleep(0.001)
        release.set()
        return await first, list(await asyncio.gather(*rest))

    first, rest = asyncio.run(scenario())
    assert seen == [["first"], ["q", "qx", "qxx"]]  # "abandoned" never reached the encoder
    assert int(first[0]) == len("first") and [int(r[0]) for r in rest] == [1, 2, 3]
    assert (b.batches, b.items) == (2, 4)
    b.close()
