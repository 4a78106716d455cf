"""/docs (Swagger UI) and /redoc served with the app's own copies of their assets.

FastAPI's default pages load their scripts from jsdelivr and ReDoc's fonts from Google, so
on a machine without internet access they stay blank. These pages load everything from
``/static/vendor`` (see its README for where the files come from). Include ``router`` in
an app built with ``docs_url=None, redoc_url=None`` (``service.routes.page`` does).

No /docs/oauth2-redirect: the API declares no OAuth2 scheme, so Swagger UI never
redirects there.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

SWAGGER = "/static/vendor/swagger-ui-dist-5.36.0"
REDOC = "/static/vendor/redoc-2.5.4"
FAVICON = f"{SWAGGER}/favicon-32x32.png"  # redoc ships no icon: both pages use this one

router = APIRouter()


@router.get("/docs", include_in_schema=False)
async def swagger_ui(request: Request) -> HTMLResponse:
    app, openapi_url = _app_and_schema(request)
    root = _root_path(request)
    return get_swagger_ui_html(
        openapi_url=root + openapi_url,
        title=f"{app.title} - Swagger UI",
        swagger_js_url=f"{root}{SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{SWAGGER}/swagger-ui.css",
        swagger_favicon_url=root + FAVICON,
        swagger_ui_parameters=app.swagger_ui_parameters,
    )


@router.get("/redoc", include_in_schema=False)
async def redoc(request: Request) -> HTMLResponse:
    app, openapi_url = _app_and_schema(request)
    root = _root_path(request)
    return get_redoc_html(
        openapi_url=root + openapi_url,
        title=f"{app.title} - ReDoc",
        redoc_js_url=f"{root}{REDOC}/redoc.standalone.js",
        redoc_favicon_url=root + FAVICON,
        with_google_fonts=False,
    )


def _app_and_schema(request: Request) -> tuple[FastAPI, str]:
    """The app and where it serves its schema; 404 for an app that serves none."""
    app: FastAPI = request.app
    if app.openapi_url is None:
        raise HTTPException(status_code=404, detail="Not Found")
    return app, app.openapi_url


def _root_path(request: Request) -> str:
    """The prefix a proxy mounts the app under, as FastAPI's own doc pages use it."""
    return str(request.scope.get("root_path", "")).rstrip("/")
