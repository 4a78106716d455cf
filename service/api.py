"""The FastAPI app: thin routes over the one answering pipeline."""

from __future__ import annotations

import asyncio
import itertools
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.store import IndexLoadError
from service.answering import Answering, Busy, TooSlow
from service.config import Settings, get_settings
from service.docs import add_docs
from service.guard import Guard
from service.observe import Metrics, configure_logging
from service.pipeline import Answer, Pipeline
from service.reload import IndexWatcher, look
from service.schemas import (
    AskRequest,
    AskResponse,
    Citation,
    DocumentDetail,
    DocumentMeta,
    Health,
    Passage,
    Problem,
    Readiness,
    Timings,
)

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
PROBLEM = "application/problem+json"
PAGE, MAX_PAGE = 100, 1000  # GET /documents page sizes: default and largest
MAX_OFFSET = 2**63 - 1  # the largest offset a client may name (an int64); past the end is empty


@dataclass
class AppState:
    """What the lifespan loads; ``pipeline`` stays None until an index is verified."""

    answering: Answering
    pipeline: Pipeline | None = None
    error: str | None = None
    draining: bool = False


async def get_pipeline(request: Request) -> Pipeline:
    """The loaded pipeline, or 503 while the index is loading or was refused.

    ``async`` although it awaits nothing: FastAPI runs a plain ``def`` dependency in its
    thread pool, a hop out and back for every request (about 5% of the server's CPU
    under load, measured with py-spy).
    """
    state: AppState = request.app.state.rag
    if state.pipeline is None:
        detail = state.error or "the index is still loading"
        raise HTTPException(
            status_code=503, detail=f"not ready: {detail}", headers={"Retry-After": "5"}
        )
    return state.pipeline


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]


def to_response(answer: Answer) -> AskResponse:
    """The wire form of an ``Answer``."""
    return AskResponse(
        question=answer.question,
        answer=answer.text,
        confidence=answer.confidence,
        answer_start=answer.answer_start,
        answer_end=None
        if answer.answer_start is None or answer.text is None
        else answer.answer_start + len(answer.text),
        citations=[Citation(**vars(c)) for c in answer.citations],
        passages=[Passage(**vars(p)) for p in answer.passages],
        timings_ms=Timings(**answer.timings_ms),
    )


def _problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def create_app(
    settings: Settings | None = None,
    pipeline_factory: Callable[[Settings], Pipeline] | None = None,
    wait_until_loaded: bool = False,
) -> FastAPI:
    """Build the app; the index and model load in the background once it starts.

    ``wait_until_loaded``: start taking connections only once they can be answered (a
    worker process that shares the port with others, which serve meanwhile).
    """
    settings = settings or get_settings()
    factory = pipeline_factory or Pipeline.from_settings
    metrics = Metrics()
    state = AppState(
        Answering(
            max_in_flight=settings.max_in_flight,
            timeout_s=settings.request_timeout_s,
            threads=settings.threads_per_worker,
            metrics=metrics,
        )
    )

    def serve(pipeline: Pipeline) -> None:
        state.pipeline, state.error = pipeline, None
        metrics.index_chunks.set(len(pipeline.store.chunks))
        metrics.index_documents.set(len(pipeline.store.documents))

    def load() -> Pipeline:
        try:
            return factory(settings)
        except IndexLoadError as exc:
            state.error = f"index refused: {exc.reason}"  # public: no paths or settings
            raise

    watcher = IndexWatcher(
        Path(settings.index_dir),
        settings.reload_interval_s,
        current=lambda: state.pipeline,
        swap=serve,
        load=load,
        metrics=metrics,
    )

    def _load() -> None:
        seen = look(Path(settings.index_dir))
        try:
            pipeline = load()
            serve(pipeline)
            log.info("ready: %d chunks", len(pipeline.store.chunks))
        except IndexLoadError as exc:
            log.error("index refused, not ready: %s", exc)
        except Exception:  # the service stays up to report it on /readyz
            state.error = "failed to load the model or the index (see the service log)"
            log.exception("failed to load the pipeline")
        watcher.start(seen)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.answering.bind()
        _on_sighup(watcher)
        thread = threading.Thread(target=_load, name="pipeline-loader", daemon=True)
        thread.start()
        if wait_until_loaded:
            await anyio.to_thread.run_sync(thread.join)
        yield
        watcher.stop()
        metrics.close()

    app = FastAPI(
        title="News QA",
        version="0.1.0",
        description="Extractive answers from news articles, each with a verbatim citation.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.rag = state
    app.add_middleware(
        Guard,
        max_body=settings.max_body_bytes,
        body_timeout_s=settings.body_timeout_s,
        metrics=metrics,
        route_of=_route_of,
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    add_docs(app)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        """The web page: ask a question and see the evidence in the article."""
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """The page's icon, where browsers ask for it."""
        return FileResponse(STATIC_DIR / "favicon.ico", media_type="image/x-icon")

    _mount_slack(app, settings, state)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}"
            for e in errors
        )
        return _problem(422, "Invalid request", detail[:1000], errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        resp = _problem(exc.status_code, _TITLES.get(exc.status_code, "Error"), str(exc.detail))
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        """Prometheus metrics: requests by status, latency, abstentions, index size."""
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", response_model=Health)
    def healthz() -> Health:
        """Alive (the process answers), whether or not the index is loaded."""
        return Health(status="ok")

    @app.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
    def readyz() -> Any:
        """200 once an index generation is loaded and verified: the live one, or an older
        one (``degraded`` says why) when the live one failed its checks."""
        if state.draining:
            return JSONResponse(
                Readiness(status="not ready", detail="draining").model_dump(), status_code=503
            )
        pipeline = state.pipeline
        if pipeline is not None:
            return Readiness(
                status="ready", degraded=pipeline.degraded, generation=pipeline.store.path.name
            )
        return JSONResponse(
            Readiness(status="not ready", detail=state.error or "loading").model_dump(),
            status_code=503,
        )

    @app.get("/documents", response_model=list[DocumentMeta], responses=_errors(422, 503))
    def documents(
        pipeline: PipelineDep,
        response: Response,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="articles to skip")] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="articles to return")] = PAGE,
    ) -> list[DocumentMeta]:
        """Metadata of the indexed articles in id order, a page at a time.

        ``X-Total-Count`` says how many there are; ``Link: <...>; rel="next"`` names the
        next page while there is one.
        """
        docs = pipeline.store.documents
        total = len(docs)
        page = itertools.islice(docs.values(), min(offset, total), min(offset + limit, total))
        response.headers["X-Total-Count"] = str(total)
        if offset + limit < total:
            response.headers["Link"] = (
                f'</documents?offset={offset + limit}&limit={limit}>; rel="next"'
            )
        return [DocumentMeta.model_validate(d.metadata()) for d in page]

    @app.get("/documents/{doc_id}", response_model=DocumentDetail, responses=_errors(404, 503))
    def document(doc_id: str, pipeline: PipelineDep) -> DocumentDetail:
        """One article: metadata and its original text (citation offsets index into it)."""
        doc = pipeline.store.documents.get(doc_id)
        if doc is None:
            raise HTTPException(status_code=404, detail=f"no document with id {doc_id[:100]!r}")
        spans = [(s.start, s.end) for s in pipeline.store.sentences_of(doc_id)]
        return DocumentDetail.model_validate(
            {**doc.metadata(), "text": doc.text, "sentences": spans}
        )

    @app.post(
        "/ask", response_model=AskResponse, responses=_errors(400, 408, 413, 422, 500, 503, 504)
    )
    async def ask(body: AskRequest, pipeline: PipelineDep) -> Response:
        """Answer a question with a verbatim span and its citations, or abstain (answer null).

        The body is the validated ``AskResponse`` written once by pydantic's serializer:
        returned as a model, FastAPI would validate it again and encode it in Python.
        """
        try:
            answer = await state.answering.ask(pipeline, body.question, body.top_k)
        except Busy:
            raise HTTPException(
                status_code=503,
                detail="too many questions being answered; retry shortly",
                headers={"Retry-After": "1"},
            ) from None
        except TooSlow as exc:
            raise HTTPException(status_code=504, detail=str(exc)) from None
        return Response(to_response(answer).model_dump_json(), media_type="application/json")

    app.openapi = _problem_openapi(app)  # type: ignore[method-assign]
    return app


def app_from_env() -> FastAPI:
    """The app of one worker process (``RAG_WORKERS`` > 1): settings from the environment."""
    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings, wait_until_loaded=True)


def _on_sighup(watcher: IndexWatcher) -> None:
    """SIGHUP makes this process look for a new index generation at once. Only the main
    thread's loop can take signals: a server run in a thread (tests) goes without."""
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, watcher.check_now)
    except (RuntimeError, ValueError, NotImplementedError):
        log.debug("SIGHUP not handled here (not the main thread)")


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": Problem, "description": _TITLES[code]} for code in codes}


def _problem_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The OpenAPI schema with every 4xx/5xx documented as application/problem+json."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
        for operations in schema.get("paths", {}).values():
            for op in operations.values():
                for status, resp in op.get("responses", {}).items():
                    if status[0] in "45":
                        resp["content"] = {"application/problem+json": problem}
                        resp.setdefault("description", _TITLES.get(int(status), "Error"))
        app.openapi_schema = schema
        return schema

    return openapi


def _route_of(scope: MutableMapping[str, Any]) -> str:
    """The route template ('/documents/{doc_id}'), never the raw path: bounded label values."""
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def _mount_slack(app: FastAPI, settings: Settings, state: AppState) -> None:
    """Mount POST /slack/events when Slack is configured; say why not otherwise."""
    if not settings.slack_enabled:
        log.info("Slack bot not mounted: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to enable it")
        return
    from service.feedback import FeedbackStore
    from service.slack import SlackEndpoint, create_bolt_app

    assert settings.slack_signing_secret is not None  # noqa: S101 - implied by slack_enabled
    bolt_app = create_bolt_app(
        settings, lambda: state.pipeline, FeedbackStore(settings.feedback_db), state.answering
    )
    endpoint = SlackEndpoint(bolt_app, settings.slack_signing_secret.get_secret_value())
    app.add_api_route("/slack/events", endpoint, methods=["POST"], include_in_schema=False)
    log.info("Slack bot mounted at POST /slack/events (API %s)", settings.slack_api_url)


_TITLES = {
    400: "Bad request",
    500: "Internal error",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid request",
    503: "Service unavailable",
    504: "Gateway timeout",
}
