"""`python -m service`: serve the API with uvicorn on RAG_HOST:RAG_PORT."""

from __future__ import annotations

import logging

import uvicorn

from service.api import create_app
from service.config import get_settings


def main() -> None:
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
