"""The index changing under a running service, and clients that are slow on purpose.

Against `python -m service` (gunicorn, two workers) where it matters which process
answers; in process otherwise.
"""

from __future__ import annotations

import gc
import shutil
import signal
import socket
import threading
import time
import weakref
from collections import Counter
from pathlib import Path

import httpx
import pytest

from eval.perf.load import process_tree, serve
from index import generation
from index.build import build_index
from index.embed import Embedder
from index.files import write_atomic
from service.api import create_app
from service.config import Settings
from service.pipeline import Pipeline
from tests.conftest import SEEDS, Server

pytestmark = pytest.mark.integration

NEW_ARTICLE = """Harbour council approves the Marrowick tidal barrier

By Ada Quill

Published 3 March 2026

The Marrowick tidal barrier will cost 48 million pounds, the harbour council said on Tuesday.
Work on the barrier starts in the autumn and is due to finish in 2029.
"""


def _copy(index_dir: Path, tmp_path: Path) -> Path:
    out = tmp_path / "index"
    shutil.copytree(index_dir, out)
    return out


def _seeds_and_a_sixth(tmp_path: Path) -> Path:
    """A copy of the seed articles with one more: what the next build will index."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / "zz_barrier.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    return seeds


def _second_generation(
    index_dir: Path, tmp_path: Path, embedder: Embedder
) -> tuple[Path, str, str]:
    """An index folder with two generations: the session's, then one with a sixth article."""
    out = _copy(index_dir, tmp_path)
    old = generation.current_generation(out).name
    build_index(_seeds_and_a_sixth(tmp_path), out, embedder)
    return out, old, generation.current_generation(out).name


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(data)


def _everywhere(url: str, path: str, want: object, key: str, timeout: float = 90) -> None:
    """Until ``key`` of ``GET path`` is ``want`` on 20 fresh connections in a row: each is
    hashed to a worker afresh, so every worker has answered it (all but surely)."""
    deadline, run = time.monotonic() + timeout, 0
    while run < 20:
        assert time.monotonic() < deadline, f"{path} never settled on {want!r}"
        r = httpx.get(f"{url}{path}", timeout=10)
        got = r.headers.get(key) if key.startswith("x-") else r.json().get(key)
        run = run + 1 if got == want else 0
        if run == 0:
            time.sleep(0.1)


def test_a_rebuilt_index_is_answered_without_a_failed_request(
    index_dir: Path, embedder: Embedder, tmp_path: Path
) -> None:
    out = _copy(index_dir, tmp_path)
    seeds = _seeds_and_a_sixth(tmp_path)  # the service reads only the index
    env = {"RAG_INDEX_DIR": str(out), "RAG_WORKERS": "2", "RAG_RELOAD_INTERVAL_S": "0.5"}
    with serve(env) as srv:
        statuses: Counter[int] = Counter()
        stop = threading.Event()

        def ask_all_along() -> None:
            with httpx.Client(base_url=srv.url, timeout=30) as client:
                while not stop.is_set():
                    r = client.post("/ask", json={"question": "How much will the barrier cost?"})
                    statuses[r.status_code] += 1

        asker = threading.Thread(target=ask_all_along)
        asker.start()
        try:
            build_index(seeds, out, embedder)  # what `make index` does, beside the service
            new = generation.current_generation(out).name
            _everywhere(srv.url, "/readyz", new, "generation")
            _everywhere(srv.url, "/documents", "6", "x-total-count")
            r = httpx.post(
                f"{srv.url}/ask",
                json={"question": "How much will the Marrowick tidal barrier cost?"},
                timeout=30,
            )
            sources = {p["text"] for p in r.json()["passages"]}
            assert any("48 million pounds" in text for text in sources)
        finally:
            stop.set()
            asker.join(60)
    assert statuses and set(statuses) == {200}, statuses


def test_sighup_makes_every_worker_look_for_a_new_generation_at_once(
    index_dir: Path, embedder: Embedder, tmp_path: Path
) -> None:
    out = _copy(index_dir, tmp_path)
    seeds = _seeds_and_a_sixth(tmp_path)
    env = {"RAG_INDEX_DIR": str(out), "RAG_WORKERS": "2", "RAG_RELOAD_INTERVAL_S": "0"}
    with serve(env) as srv:
        time.sleep(2)  # both workers up
        old = httpx.get(f"{srv.url}/readyz").json()["generation"]
        build_index(seeds, out, embedder)
        time.sleep(1.5)
        _everywhere(srv.url, "/readyz", old, "generation")  # no polling: nobody looked
        workers = set(process_tree(srv.proc.pid)[1:])
        srv.proc.send_signal(signal.SIGHUP)
        _everywhere(srv.url, "/readyz", generation.current_generation(out).name, "generation")
        assert set(process_tree(srv.proc.pid)[1:]) == workers  # the same processes


@pytest.fixture
def reloading(index_dir: Path, embedder: Embedder, tmp_path: Path) -> tuple[Server, Path]:
    out = _copy(index_dir, tmp_path)
    settings = Settings(index_dir=out, reload_interval_s=0.2)
    app = create_app(settings, pipeline_factory=lambda s: Pipeline.from_settings(s, embedder))
    return Server(app), out


def _refusals(url: str) -> float:
    text = httpx.get(f"{url}/metrics").text
    line = 'newsqa_index_reloads_total{outcome="refused"} '
    return sum(float(x.split()[-1]) for x in text.splitlines() if x.startswith(line))


def test_a_new_generation_that_fails_its_checks_is_refused_and_the_old_one_serves(
    reloading: tuple[Server, Path],
) -> None:
    srv, out = reloading
    with srv:
        old = srv.wait_ready().json()["generation"]
        bad = out / "gen-29990101T000000-bad"
        shutil.copytree(out / old, bad)
        _damage(bad / "chunks.faiss")
        write_atomic(out / generation.CURRENT, f"{bad.name}\n".encode())
        deadline = time.monotonic() + 30
        while _refusals(srv.url) < 1:
            assert time.monotonic() < deadline, "the damaged generation was never looked at"
            time.sleep(0.05)
        ready = httpx.get(f"{srv.url}/readyz").json()
        assert ready["generation"] == old and ready["degraded"] is None
        r = httpx.post(f"{srv.url}/ask", json={"question": "How much is Microsoft investing?"})
        assert r.status_code == 200
        # repaired (the same name, its file restored): taken up without a restart
        shutil.copyfile(out / old / "chunks.faiss", bad / "chunks.faiss")
        deadline = time.monotonic() + 30
        while httpx.get(f"{srv.url}/readyz").json()["generation"] != bad.name:
            assert time.monotonic() < deadline, "the repaired generation was never loaded"
            time.sleep(0.05)


def test_a_broken_index_repaired_is_served_without_a_restart(
    reloading: tuple[Server, Path],
) -> None:
    srv, out = reloading
    gen = generation.current_generation(out)
    good = (gen / "sentences.faiss").read_bytes()
    _damage(gen / "sentences.faiss")
    with srv:
        r = srv.wait_ready(timeout=10)
        assert r.status_code == 503 and "sentences.faiss checksum" in r.json()["detail"]
        (gen / "sentences.faiss").write_bytes(good)
        deadline = time.monotonic() + 30
        while httpx.get(f"{srv.url}/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the repaired index was never loaded"
            time.sleep(0.05)
        assert httpx.get(f"{srv.url}/readyz").json()["degraded"] is None


def test_a_service_starts_on_the_newest_older_generation_that_verifies(
    index_dir: Path, embedder: Embedder, tmp_path: Path
) -> None:
    out, old, new = _second_generation(index_dir, tmp_path, embedder)
    _damage(out / new / "documents.jsonl")
    settings = Settings(index_dir=out)
    app = create_app(settings, pipeline_factory=lambda s: Pipeline.from_settings(s, embedder))
    with Server(app) as srv:
        r = srv.wait_ready()
        assert r.status_code == 200
        body = r.json()
        assert body["generation"] == old
        assert "documents.jsonl checksum differs" in body["degraded"] and old in body["degraded"]
        ask = httpx.post(f"{srv.url}/ask", json={"question": "How much is Microsoft investing?"})
        assert ask.status_code == 200


def test_truncating_index_files_under_a_running_service_kills_no_worker(
    index_dir: Path, tmp_path: Path
) -> None:
    out = _copy(index_dir, tmp_path)
    env = {"RAG_INDEX_DIR": str(out), "RAG_WORKERS": "2"}
    with serve(env) as srv:
        time.sleep(2)  # both workers up
        workers = set(process_tree(srv.proc.pid)[1:])
        gen = generation.current_generation(out)
        for name in (
            "chunks.faiss",
            "sentences.faiss",
            "analysis_tokens.npy",
            "lexicon_word_ids.npy",
        ):
            if (gen / name).exists():
                with open(gen / name, "r+b") as f:
                    f.truncate(0)
        statuses = Counter(
            httpx.post(
                f"{srv.url}/ask", json={"question": f"How much is Microsoft investing? {i}"}
            ).status_code
            for i in range(40)
        )
        assert statuses == {200: 40}
        assert set(process_tree(srv.proc.pid)[1:]) == workers  # none died, none replaced


def _raw(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=30)


def _until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def test_slow_bodies_get_408_and_hold_no_answering_slot(index_dir: Path) -> None:
    env = {
        "RAG_INDEX_DIR": str(index_dir),
        "RAG_WORKERS": "1",
        "RAG_MAX_IN_FLIGHT": "2",
        "RAG_BODY_TIMEOUT_S": "2",
    }
    with serve(env) as srv:
        port = int(srv.url.rsplit(":", 1)[1])
        slow = []
        for _ in range(8):  # four times the answering slots, each sending its body slowly
            sock = _raw(port)
            sock.sendall(
                b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 60\r\n\r\n{"
            )
            slow.append(sock)
        started = time.monotonic()
        for i in range(5):
            r = httpx.post(f"{srv.url}/ask", json={"question": f"Who won? {i}"}, timeout=30)
            assert r.status_code == 200
        for sock in slow:
            reply = _until_closed(sock)
            assert reply.startswith(b"HTTP/1.1 408"), reply[:80]
            assert b"did not arrive within 2 s" in reply
            sock.close()
        assert time.monotonic() - started < 15


def test_slow_headers_are_cut_off(index_dir: Path) -> None:
    env = {"RAG_INDEX_DIR": str(index_dir), "RAG_WORKERS": "1", "RAG_HEADER_TIMEOUT_S": "1"}
    with serve(env) as srv:
        port = int(srv.url.rsplit(":", 1)[1])
        socks = [_raw(port) for _ in range(20)]
        started = time.monotonic()
        for sock in socks:
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # ... and never the rest
        time.sleep(0.5)
        for sock in socks:
            sock.sendall(b"X")  # a byte now and then does not reset the deadline
        replies = [_until_closed(sock) for sock in socks]  # ... and closed
        assert all(r.startswith(b"HTTP/1.1 408") for r in replies), replies[0][:80]
        assert time.monotonic() - started < 10
        idle = _raw(port)  # a connection that never sends a byte is closed too
        assert _until_closed(idle).startswith(b"HTTP/1.1 408")
        assert httpx.get(f"{srv.url}/healthz").status_code == 200


def test_a_reloaded_pipeline_shares_the_encoder_thread_and_frees_the_old_store(
    settings: Settings, embedder: Embedder
) -> None:
    first = Pipeline.from_settings(settings, encoder=embedder)
    second = first.reloaded(first.store.path)
    assert second.batcher is first.batcher and second.cache is first.cache
    old_store = weakref.ref(first.store)
    del first
    gc.collect()
    assert old_store() is None  # nothing (the shared batcher included) keeps it alive
    assert second.ask("How much is Microsoft investing in Japan?").passages
