"""Observability: JSON log lines, a request id on every response, Prometheus metrics."""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

request_id: ContextVar[str] = ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def new_request_id(incoming: str | None) -> str:
    """The caller's X-Request-ID when it is short and plain, else a fresh one."""
    if incoming and _SAFE_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id of the request being served."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": request_id.get(),
        }
        for key in ("method", "path", "status", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # our access log carries the id


class Metrics:
    """The service's own registry (not the global one: several apps can live in one process).

    Under several worker processes (``PROMETHEUS_MULTIPROC_DIR`` set by ``service.serve``)
    values live in shared files and ``/metrics`` adds up every process.
    """

    def __init__(self) -> None:
        self.shared_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "newsqa_http_requests_total",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "newsqa_http_request_duration_seconds",
            "HTTP request latency by route",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.answers = Counter(
            "newsqa_answers_total",
            "Questions answered or abstained",
            ["outcome"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "newsqa_rejected_total",
            "Requests refused: a body too large, malformed or late, or every answering slot taken",
            ["reason"],
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "newsqa_requests_in_flight",
            "Requests being served",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.answering = Gauge(
            "newsqa_answers_in_flight",
            "Questions being answered, from HTTP and Slack (each holds a RAG_MAX_IN_FLIGHT slot)",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.reloads = Counter(
            "newsqa_index_reloads_total",
            "Index generations checked while serving, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.index_chunks = Gauge(
            "newsqa_index_chunks",
            "Chunks in the loaded index",
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        self.index_documents = Gauge(
            "newsqa_index_documents",
            "Articles in the loaded index",
            registry=self.registry,
            multiprocess_mode="livemax",
        )

    def exposition(self) -> bytes:
        """The text format: this process's registry, or every worker process's together."""
        if self.shared_dir is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.shared_dir)
        return generate_latest(registry)

    def close(self) -> None:
        """At shutdown: this process's live gauges stop counting."""
        if self.shared_dir is not None:
            multiprocess.mark_process_dead(os.getpid(), self.shared_dir)
