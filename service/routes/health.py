"""``GET /healthz`` (alive), ``GET /readyz`` (answering, and from which index generation)
and ``GET /metrics`` (Prometheus)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from service.schemas import Health, Readiness
from service.state import StateDep

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def prometheus(state: StateDep) -> Response:
    """Prometheus metrics: requests by status, latency, abstentions, index size."""
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """Alive (the process answers), whether or not the index is loaded."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(state: StateDep) -> Any:
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
