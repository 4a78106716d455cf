"""The FastAPI app: the state, the middleware, the lifespan, and the routers of
``service.routes`` (thin routes over the one answering pipeline).

``create_app`` builds one app; ``app_from_env`` is what each gunicorn worker serves
(``service.serve``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI

from index.generation import IndexLoadError
from service.config import Settings, get_settings
from service.guard import Guard
from service.observe import configure_logging
from service.pipeline import Pipeline
from service.problems import add_problem_handlers, problem_openapi
from service.reload import IndexWatcher, look
from service.routes import ask, documents, health, page
from service.routes.slack import slack_router
from service.state import AppState

log = logging.getLogger(__name__)
VERSION = "0.12.0"  # the project's version (pyproject.toml; CHANGELOG.md's newest release)


def create_app(
    settings: Settings | None = None,
    pipeline_factory: Callable[[Settings], Pipeline] | None = None,
    wait_until_loaded: bool = False,
) -> FastAPI:
    """Build the app; the index and model load in the background once it starts.

    ``wait_until_loaded``: start taking connections only once they can be answered (a
    worker process that shares the port with others, which serve meanwhile).
    """
    state = AppState.of(settings or get_settings())
    loading = Loading(state, pipeline_factory or Pipeline.from_settings, wait_until_loaded)
    app = FastAPI(
        title="News QA",
        version=VERSION,
        description="Extractive answers from news articles, each with a verbatim citation.",
        lifespan=loading.lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.rag = state
    app.add_middleware(
        Guard,
        max_body=state.settings.max_body_bytes,
        body_timeout_s=state.settings.body_timeout_s,
        metrics=state.metrics,
        route_of=_route_of,
    )
    add_problem_handlers(app)
    slack = slack_router(state)
    for router in (page.router, slack, health.router, documents.router, ask.router):
        if router is not None:
            app.include_router(router)
    app.openapi = problem_openapi(app)  # type: ignore[method-assign]
    return app


def app_from_env() -> FastAPI:
    """The app of one worker process (``RAG_WORKERS`` > 1): settings from the environment."""
    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings, wait_until_loaded=True)


class Loading:
    """The app's lifespan: the pipeline loads in a thread of its own (the service answers
    /healthz and /readyz meanwhile), then ``service.reload`` keeps it on the newest index
    generation that verifies."""

    def __init__(
        self, state: AppState, factory: Callable[[Settings], Pipeline], wait_until_loaded: bool
    ) -> None:
        self.state = state
        self.factory = factory
        self.wait_until_loaded = wait_until_loaded
        self.watcher = IndexWatcher(
            Path(state.settings.index_dir),
            state.settings.reload_interval_s,
            current=lambda: state.pipeline,
            swap=state.serve,
            load=self.load,
            metrics=state.metrics,
        )

    def load(self) -> Pipeline:
        """A pipeline over the configured index; a refused index is also said on /readyz."""
        try:
            return self.factory(self.state.settings)
        except IndexLoadError as exc:
            self.state.error = f"index refused: {exc.reason}"  # public: no paths or settings
            raise

    def load_then_watch(self) -> None:
        """Load the first pipeline (or say on /readyz why not), then start watching."""
        seen = look(Path(self.state.settings.index_dir))
        try:
            pipeline = self.load()
            self.state.serve(pipeline)
            log.info("ready: %d chunks", len(pipeline.store.chunks))
        except IndexLoadError as exc:
            log.error("index refused, not ready: %s", exc)
        except Exception:  # the service stays up to report it on /readyz
            self.state.error = "failed to load the model or the index (see the service log)"
            log.exception("failed to load the pipeline")
        self.watcher.start(seen)

    @asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        self.state.answering.bind()
        _on_sighup(self.watcher)
        thread = threading.Thread(target=self.load_then_watch, name="pipeline-loader", daemon=True)
        thread.start()
        if self.wait_until_loaded:
            await anyio.to_thread.run_sync(thread.join)
        yield
        self.watcher.stop()
        self.state.metrics.close()


def _on_sighup(watcher: IndexWatcher) -> None:
    """SIGHUP makes this process look for a new index generation at once. Only the main
    thread's loop can take signals: a server run in a thread (tests) goes without."""
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, watcher.check_now)
    except (RuntimeError, ValueError, NotImplementedError):
        log.debug("SIGHUP not handled here (not the main thread)")


def _route_of(scope: MutableMapping[str, Any]) -> str:
    """The route template ('/documents/{doc_id}'), never the raw path: bounded label values."""
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))
