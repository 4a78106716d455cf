"""`python -m service` with several worker processes (gunicorn): shared port, shared
metrics, SIGTERM drained by every worker, a dead worker replaced."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from eval.perf.load import free_port, process_tree, run_load, serve
from index.store import REQUIRED_FILES

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
        assert len(workers) == 2  # the arbiter's children
        result = run_load(srv.url, 60, 8)
        assert result.statuses == {"200": 60}
        # every process's answers are in /metrics, whichever process serves the scrape
        answered = _metric(srv.url, 'newsqa_answers_total{outcome="answered"}')
        abstained = _metric(srv.url, 'newsqa_answers_total{outcome="abstained"}')
        assert answered + abstained == 60
        # A worker counts a request out just after its last byte is sent: allow it a moment.
        deadline = time.monotonic() + 5
        while _metric(srv.url, "newsqa_requests_in_flight") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _metric(srv.url, "newsqa_requests_in_flight") == 0  # scrapes are not counted

        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)  # inside the 2 s drain window: still accepting, not ready
        assert httpx.get(f"{srv.url}/readyz", timeout=5).status_code == 503
        assert srv.proc.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
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


def test_the_supervisor_does_not_import_the_app() -> None:
    """Workers start after the supervisor's imports: FastAPI, FAISS and bm25s are theirs
    alone (about 0.9 s of cold start when the supervisor imported them too)."""
    code = "import sys, service.__main__; print(sorted({'fastapi', 'faiss', 'bm25s'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _settled(index_dir: Path) -> None:
    """Wait until the index's files are older than RACY_S: only then can a check be trusted."""
    from index import generation

    gen = generation.current_generation(index_dir)
    newest = max(p.stat().st_ctime for p in gen.rglob("*") if p.is_file())
    time.sleep(max(0.0, newest + generation.RACY_S + 0.2 - time.time()))


def test_the_supervisor_checks_the_index_once_for_its_workers(
    index_dir: Path, tmp_path: Path
) -> None:
    _settled(index_dir)
    log_file = tmp_path / "service.log"
    env = {"RAG_INDEX_DIR": str(index_dir), "RAG_WORKERS": "2", "RAG_LOG_LEVEL": "INFO"}

    def spared() -> list[str]:
        lines = log_file.read_text().splitlines()
        logs = [json.loads(line) for line in lines if line.startswith("{")]
        return [e["msg"] for e in logs if "index files already checked" in e["msg"]]

    with serve(env, log_file=log_file) as srv:
        assert run_load(srv.url, 8, 2).statuses == {"200": 8}
        # serve() returns once one worker is ready; on a busy machine the other may still be
        # loading (one CI run stopped the service before it had logged)
        deadline = time.monotonic() + 60
        while len(spared()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    n = len(REQUIRED_FILES)
    assert spared() == [f"{n} of {n} index files already checked"] * 2  # one line per worker


def test_workers_report_a_damaged_index_the_supervisor_refused(
    index_dir: Path, tmp_path: Path
) -> None:
    from index import generation

    damaged = tmp_path / "index"
    shutil.copytree(index_dir, damaged)
    path = generation.current_generation(damaged) / "sentences.faiss"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(data)
    port = free_port()
    env = {
        **os.environ,
        "RAG_INDEX_DIR": str(damaged),
        "RAG_WORKERS": "2",
        "RAG_HOST": "127.0.0.1",
        "RAG_PORT": str(port),
        "RAG_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "service"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline, body = time.monotonic() + 60, None
        while body is None and time.monotonic() < deadline:
            assert proc.poll() is None, "the service exited"
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                body = r.json() if r.status_code == 503 else None
            except httpx.TransportError:
                time.sleep(0.1)
        assert body is not None, "no worker reported the refusal"
        assert "sentences.faiss checksum differs from the manifest" in json.dumps(body)
    finally:
        proc.terminate()
        proc.wait(30)
