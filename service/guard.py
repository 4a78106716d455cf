"""ASGI middleware that protects the app: body size and deadline, request ids, access log.

Written as plain ASGI (not BaseHTTPMiddleware) so that a chunked body is counted as it
streams in and a refused request costs no more than its headers. The whole body is read
here, within ``body_timeout_s``, before any route runs: a client sending it a byte a second
gets 408 and never holds one of the answering slots (``service.answering``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio

from service.observe import Metrics, new_request_id, request_id

log = logging.getLogger("service.access")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
UNCOUNTED = ("/healthz", "/readyz", "/metrics")


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
    """Request id, body limit (413) and deadline (408), HEAD as GET, metrics, access log."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        body_timeout_s: float,
        metrics: Metrics,
        route_of: Callable[[Scope], str],
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.body_timeout_s = body_timeout_s
        self.metrics = metrics
        self.route_of = route_of

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
        if scope.get("method") == "HEAD":
            # every GET route answers HEAD: the server sends the GET's headers, no body
            scope = {**scope, "method": "GET"}
        try:
            refusal = self._refuse(headers, rid)
            if refusal is not None:
                status_holder["status"] = refusal[0]["status"]
                for message in refusal:
                    await send(message)
                return
            counted = path not in UNCOUNTED  # probes and /metrics are not counted
            if counted:
                self.metrics.in_flight.inc()
            try:
                await self._serve(scope, receive, send, rid, status_holder)
            finally:
                if counted:
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

    def _refuse(self, headers: dict[str, str], rid: str) -> tuple[Message, Message] | None:
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
        return None

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, rid: str, status_holder: dict[str, int]
    ) -> None:
        # Bodies are small (a question): read it all first, counting chunked uploads too,
        # so an oversized or late one is refused before any route sees it.
        body = bytearray()
        more = scope.get("method") in ("POST", "PUT", "PATCH")
        deadline = anyio.current_time() + self.body_timeout_s
        while more:
            message = None
            with anyio.move_on_after(deadline - anyio.current_time()):
                message = await receive()
            if message is None:
                self.metrics.rejected.labels("body_timeout").inc()
                status_holder["status"] = 408
                detail = f"the request body did not arrive within {self.body_timeout_s:g} s"
                for reply in _problem(
                    408, "Request timeout", detail, rid, ((b"connection", b"close"),)
                ):
                    await send(reply)
                return
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
