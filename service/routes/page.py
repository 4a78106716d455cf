"""The web page: ``GET /`` and its ``/static`` files, ``/favicon.ico``, and the API's own
``/docs`` and ``/redoc`` (``service.docs``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from service.docs import router as docs_router

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter()
router.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
router.include_router(docs_router)


@router.get("/", include_in_schema=False)
def page() -> FileResponse:
    """The web page: ask a question and see the evidence in the article."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    """The page's icon, where browsers ask for it."""
    return FileResponse(STATIC_DIR / "favicon.ico", media_type="image/x-icon")
