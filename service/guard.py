"""ASGI middleware that protects the app: body size, requests in flight, request ids, access log.

Written as plain ASGI (not BaseHTTPMiddleware) so that a chunked body is counted as it
streams in and a refused request costs no more than its headers.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from service.observe import Metrics, new_request_id, request_id

log = logging.getLogger("service.access")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
UNLIMITED = ("/healthz", "/readyz", "/metrics")


def _problem(
    status: int,
    title: str,
    detail: str,
    rid: str,
    extra_headers: tuple[tuple[bytes, bytes], ...] = (),
) -> tuple[Message, Message]:
    body = json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail}
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", rid.encode()),
        *extra_headers,
    ]
    return (
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": body},
    )


class Guard:
    """Request id, body limit (413), in-flight bound (503 + Retry-After), metrics, access log."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        max_in_flight: int,
        metrics: Metrics,
        route_of: Callable[[Scope], str],
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_in_flight = max_in_flight
        self.metrics = metrics
        self.route_of = route_of
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])
        }
        rid = new_request_id(headers.get("x-request-id"))
        token = request_id.set(rid)
        started = time.perf_counter()
        status_holder = {"status": 500}
        path = scope.get("path", "")
        try:
            refusal = self._refuse(headers, path, rid)
            if refusal is not None:
                status_holder["status"] = refusal[0]["status"]
                for message in refusal:
                    await send(message)
                return
            counted = path not in UNLIMITED  # probes and /metrics are neither bounded nor counted
            if counted:
                self.in_flight += 1
                self.metrics.in_flight.inc()
            try:
                await self._serve(scope, receive, send, rid, status_holder)
            finally:
                if counted:
                    self.in_flight -= 1
                    self.metrics.in_flight.dec()
        finally:
            elapsed = time.perf_counter() - started
            route = self.route_of(scope)
            status = status_holder["status"]
            self.metrics.requests.labels(scope.get("method", ""), route, str(status)).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            log.info(
                "%s %s %s",
                scope.get("method"),
                path,
                status,
                extra={
                    "method": scope.get("method"),
                    "path": path,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id.reset(token)

    def _refuse(
        self, headers: dict[str, str], path: str, rid: str
    ) -> tuple[Message, Message] | None:
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                self.metrics.rejected.labels("bad_length").inc()
                return _problem(400, "Bad request", "Content-Length must be a number", rid)
            if int(length) > self.max_body:
                self.metrics.rejected.labels("too_large").inc()
                return _problem(
                    413,
                    "Payload too large",
                    f"request bodies are limited to {self.max_body} bytes",
                    rid,
                )
        if path not in UNLIMITED and self.in_flight >= self.max_in_flight:
            self.metrics.rejected.labels("overloaded").inc()
            return _problem(
                503,
                "Service unavailable",
                "too many requests in flight; retry shortly",
                rid,
                ((b"retry-after", b"1"),),
            )
        return None

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, rid: str, status_holder: dict[str, int]
    ) -> None:
        # Bodies are small (a question): read it all first, counting chunked uploads too,
        # so an oversized one is refused before any route sees it.
        body = bytearray()
        more = scope.get("method") in ("POST", "PUT", "PATCH")
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_body:
                self.metrics.rejected.labels("too_large").inc()
                status_holder["status"] = 413
                for reply in _problem(
                    413,
                    "Payload too large",
                    f"request bodies are limited to {self.max_body} bytes",
                    rid,
                ):
                    await send(reply)
                return
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        started = False

        async def tagged_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                status_holder["status"] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, replay, tagged_send)
        except Exception:
            # Log the details; tell the client only that it failed (no trace, no internals).
            log.exception("unhandled error serving %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            status_holder["status"] = 500
            for reply in _problem(
                500,
                "Internal error",
                "the service failed to answer; the error has been logged",
                rid,
            ):
                await send(reply)
