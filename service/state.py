"""What every route reaches through ``app.state.rag``, and the typed dependencies for it.

A route takes ``state: StateDep`` for the app's state (settings, metrics, the answering
bound) or ``pipeline: PipelineDep`` for the loaded pipeline (503 while there is none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from service.answering import Answering
from service.config import Settings
from service.observe import Metrics
from service.pipeline import Pipeline


@dataclass
class AppState:
    """One app's settings, metrics and answering bound, and what the lifespan loads:
    ``pipeline`` stays None until an index is verified (``error`` says why, if it was
    refused). ``draining``: set by ``service.serve`` when the process is asked to stop."""

    settings: Settings
    metrics: Metrics
    answering: Answering
    pipeline: Pipeline | None = None
    error: str | None = None
    draining: bool = False

    @classmethod
    def of(cls, settings: Settings) -> AppState:
        """A fresh state for the settings: nothing loaded yet."""
        metrics = Metrics()
        answering = Answering(
            max_in_flight=settings.max_in_flight,
            timeout_s=settings.request_timeout_s,
            threads=settings.threads_per_worker,
            metrics=metrics,
        )
        return cls(settings, metrics, answering)

    def serve(self, pipeline: Pipeline) -> None:
        """Answer with ``pipeline`` from the next request on."""
        self.pipeline, self.error = pipeline, None
        self.metrics.index_chunks.set(len(pipeline.store.chunks))
        self.metrics.index_documents.set(len(pipeline.store.documents))


# The dependencies are ``async`` although they await nothing: FastAPI runs a plain ``def``
# dependency in its thread pool, a hop out and back for every request (about 5% of the
# server's CPU under load, measured with py-spy).


async def get_state(request: Request) -> AppState:
    """The app's state."""
    state: AppState = request.app.state.rag
    return state


async def get_pipeline(request: Request) -> Pipeline:
    """The loaded pipeline, or 503 while the index is loading or was refused."""
    state: AppState = request.app.state.rag
    if state.pipeline is None:
        detail = state.error or "the index is still loading"
        raise HTTPException(
            status_code=503, detail=f"not ready: {detail}", headers={"Retry-After": "5"}
        )
    return state.pipeline


StateDep = Annotated[AppState, Depends(get_state)]
PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
