"""Run the question set through the answering code, in-process or over HTTP.

In-process, a question is asked as ``POST /ask`` asks it: the same ``Pipeline.ask`` call
(the configured threshold decides whether to answer) and the same wire form
(``AskResponse.from_answer``). Only for the risk-coverage sweep and the calibration table
is an abstention asked again with ``abstain_threshold=0``, to keep what the reader would
have answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from eval.dataset import EvalItem
from service.pipeline import Pipeline
from service.schemas import AskResponse


@dataclass
class Result:
    item: EvalItem
    response: dict[str, Any]  # the /ask response body, as JSON
    seconds: float
    raw_answer: str | None = None  # what the reader would answer with no abstention
    raw_citations: list[dict[str, Any]] = field(default_factory=list)


# What asking one question returns, for the question and ``top_k``.
Run = Callable[[EvalItem, int], Result]


def in_process(pipeline: Pipeline) -> Run:
    """Ask through ``Pipeline.ask`` as the service does; for an abstention, also keep the
    answer the reader would give at threshold 0 (the threshold sweep's)."""

    def run(item: EvalItem, top_k: int) -> Result:
        t0 = time.perf_counter()
        answer = pipeline.ask(item.question, top_k)
        seconds = time.perf_counter() - t0
        body = AskResponse.from_answer(answer).model_dump()
        raw = body
        if answer.text is None:  # the reader's own answer below the threshold
            unthresholded = pipeline.ask(item.question, top_k, abstain_threshold=0.0)
            raw = AskResponse.from_answer(unthresholded).model_dump()
        return Result(item, body, seconds, raw["answer"], raw["citations"])

    return run


def over_http(url: str, timeout: float = 30.0) -> Run:
    """Ask a running service; the sweep then only sees what the service chose to answer."""
    client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout)

    def run(item: EvalItem, top_k: int) -> Result:
        t0 = time.perf_counter()
        r = client.post("/ask", json={"question": item.question, "top_k": top_k})
        seconds = time.perf_counter() - t0
        r.raise_for_status()
        body = r.json()
        return Result(item, body, seconds, body["answer"], body["citations"])

    return run
