"""`python -m service` with several worker processes: shared port, shared metrics,
SIGTERM drained by every worker, a dead worker replaced."""

from __future__ import annotations

import os
import re
import signal
import time

import httpx
import pytest

from eval.load import process_tree, run_load, serve

pytestmark = pytest.mark.integration


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _metric(url: str, name: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))


def test_two_workers_answer_and_count_together(index_dir: object) -> None:
    with serve({"RAG_INDEX_DIR": str(index_dir), "RAG_WORKERS": "2"}) as srv:
        workers = process_tree(srv.proc.pid)[1:]
        assert len(workers) >= 2  # the supervisor's children (plus a resource tracker)
        result = run_load(srv.url, 60, 8)
        assert result.statuses == {"200": 60}
        # every process's answers are in /metrics, whichever process serves the scrape
        answered = _metric(srv.url, 'newsqa_answers_total{outcome="answered"}')
        abstained = _metric(srv.url, 'newsqa_answers_total{outcome="abstained"}')
        assert answered + abstained == 60
        assert _metric(srv.url, "newsqa_requests_in_flight") <= 1  # the scrape itself

        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)  # inside the 2 s drain window: still accepting, not ready
        assert httpx.get(f"{srv.url}/readyz", timeout=5).status_code == 503
        assert srv.proc.wait(timeout=30) == 0
        deadline = time.monotonic() + 10  # the resource tracker follows its parent shortly
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if _alive(pid)]


def test_a_killed_worker_is_replaced(index_dir: object) -> None:
    with serve({"RAG_INDEX_DIR": str(index_dir), "RAG_WORKERS": "2"}) as srv:
        before = set(process_tree(srv.proc.pid)[1:])
        victim = max(before)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = set(process_tree(srv.proc.pid)[1:])
            if victim not in now and len(now - before) >= 1:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the supervisor did not start a new worker")
        assert run_load(srv.url, 40, 4).statuses == {"200": 40}


def test_threads_per_worker_follow_the_process_count() -> None:
    from service.config import Settings

    assert Settings(workers=1).threads_per_worker == 2  # one GIL: overlap encode and Python
    assert Settings(workers=2).threads_per_worker == 1  # one core each
    assert Settings(workers=2, worker_threads=3).threads_per_worker == 3
