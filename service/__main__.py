"""`python -m service`: serve the API with uvicorn on RAG_HOST:RAG_PORT."""

from __future__ import annotations

from service.api import create_app
from service.config import get_settings
from service.observe import configure_logging
from service.serve import run


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    run(create_app(settings), settings.host, settings.port, settings.drain_seconds)


if __name__ == "__main__":
    main()
