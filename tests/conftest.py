"""Shared fixtures: the real model and a real index are built once per test session."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
import uvicorn

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from index.build import build_index
from index.embed import Embedder
from service.api import create_app
from service.config import Settings
from service.pipeline import Pipeline
from service.serve import GracefulServer

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real bundled all-MiniLM-L6-v2 through the service's default backend, loaded once."""
    e = Embedder(threads=1, backend=Settings.model_fields["encoder_backend"].default)
    e.warm_up()
    return e


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """A real FAISS index of the five articles, built once."""
    out = tmp_path_factory.mktemp("index")
    build_index(SEEDS, out, embedder)
    return out


# The contract tests (citations, Slack, draining) need answers to check, so they run with a
# lower bar than the default, which keeps answered precision at 0.9 on dev questions and so
# abstains on many answerable ones; the eval tests measure the default itself.
CONTRACT_THRESHOLD = 0.5


@pytest.fixture(scope="session")
def settings(index_dir: Path) -> Settings:
    return Settings(index_dir=index_dir, seeds_dir=SEEDS, abstain_threshold=CONTRACT_THRESHOLD)


@pytest.fixture(scope="session")
def pipeline(settings: Settings, embedder: Embedder) -> Pipeline:
    return Pipeline.from_settings(settings, encoder=embedder)


def run_index_cli(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    """`python -m index ...` as a user runs it, in its own process."""
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "index", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **kw,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The real app under uvicorn on a free 127.0.0.1 port, in a background thread."""

    def __init__(self, app: object, drain_seconds: float = 0.0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", timeout_graceful_shutdown=30
        )
        self.server = GracefulServer(config, drain_seconds)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def wait_ready(self, timeout: float = 60) -> httpx.Response:
        deadline = time.monotonic() + timeout
        while True:
            r = httpx.get(f"{self.url}/readyz", timeout=5)
            if r.status_code == 200 or time.monotonic() > deadline:
                return r
            if r.json().get("detail") not in (None, "loading"):
                return r
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def server(settings: Settings, pipeline: Pipeline) -> Iterator[Server]:
    """The real FastAPI app served by uvicorn, sharing the session's loaded pipeline."""
    app = create_app(settings, pipeline_factory=lambda _s: pipeline)
    with Server(app) as srv:
        assert srv.wait_ready().status_code == 200
        yield srv


class Gate:
    """A pipeline whose answers wait until the test opens the gate (or that always fails)."""

    def __init__(self, real: Pipeline, fail: bool = False) -> None:
        self.real, self.fail, self.open = real, fail, threading.Event()

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)

    def ask(self, question: str, top_k: int | None = None, context: str | None = None) -> object:
        if self.fail:
            raise RuntimeError("boom: secret internals")
        self.open.wait(30)
        return self.real.ask(question, top_k, context=context)

    async def ask_async(
        self, question: str, top_k: int | None = None, context: str | None = None
    ) -> object:
        if self.fail:
            raise RuntimeError("boom: secret internals")
        await anyio.to_thread.run_sync(self.open.wait, 30, abandon_on_cancel=True)
        return await self.real.ask_async(question, top_k, context=context)


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "seeds"
    shutil.copytree(SEEDS, dst)
    return dst
