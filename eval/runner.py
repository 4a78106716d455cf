"""Run the question set through the answering code, in-process or over HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from eval.dataset import EvalItem
from service.api import to_response
from service.pipeline import Pipeline

# What one question's run returns: the /ask response body as JSON.
Asker = Callable[[str, int], dict[str, Any]]


@dataclass
class Result:
    item: EvalItem
    response: dict[str, Any]
    seconds: float
    raw_answer: str | None = None  # what the reader would answer with no abstention
    raw_citations: list[dict[str, Any]] = field(default_factory=list)


def in_process(pipeline: Pipeline) -> Callable[[EvalItem, int, float], Result]:
    """Ask through ``Pipeline.ask``; also keep the un-thresholded answer for the sweep."""

    def run(item: EvalItem, top_k: int, threshold: float) -> Result:
        t0 = time.perf_counter()
        raw = pipeline.ask(item.question, top_k, abstain_threshold=0.0)
        seconds = time.perf_counter() - t0
        body = to_response(raw).model_dump()
        raw_answer, raw_citations = body["answer"], body["citations"]
        if raw.confidence < threshold:  # exactly what the service does at this threshold
            body["answer"], body["citations"] = None, []
        return Result(item, body, seconds, raw_answer, raw_citations)

    return run


def over_http(url: str, timeout: float = 30.0) -> Callable[[EvalItem, int, float], Result]:
    """Ask a running service; the sweep then only sees what the service chose to answer."""
    client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout)

    def run(item: EvalItem, top_k: int, threshold: float) -> Result:
        t0 = time.perf_counter()
        r = client.post("/ask", json={"question": item.question, "top_k": top_k})
        seconds = time.perf_counter() - t0
        r.raise_for_status()
        body = r.json()
        return Result(item, body, seconds, body["answer"], body["citations"])

    return run
