"""Errors as RFC 9457 ``application/problem+json``: the handlers, and the OpenAPI schema
that documents every 4xx/5xx response so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.schemas import Problem

PROBLEM = "application/problem+json"
TITLES = {
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


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """A route's documented error responses (``responses=errors(404, 503)``)."""
    return {code: {"model": Problem, "description": TITLES[code]} for code in codes}


async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with every field's problem (``errors``) and a one-line ``detail``."""
    errs = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    detail = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}" for e in errs
    )
    return problem(422, "Invalid request", detail[:1000], errors=errs)


async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Any ``HTTPException`` (ours, or routing's 404 and 405), with its headers."""
    resp = problem(exc.status_code, TITLES.get(exc.status_code, "Error"), str(exc.detail))
    for k, v in (exc.headers or {}).items():
        resp.headers[k] = v
    return resp


def add_problem_handlers(app: FastAPI) -> None:
    """Answer validation and HTTP errors as problems."""
    app.exception_handler(RequestValidationError)(invalid)
    app.exception_handler(StarletteHTTPException)(http_error)


def problem_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
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
                        resp["content"] = {PROBLEM: problem}
                        resp.setdefault("description", TITLES.get(int(status), "Error"))
        app.openapi_schema = schema
        return schema

    return openapi
