"""`python -m service`: serve the API with uvicorn on RAG_HOST:RAG_PORT."""

from __future__ import annotations

import sys

from service.api import create_app
from service.config import get_settings
from service.observe import configure_logging
from service.serve import run, run_workers


def main() -> int:
    settings = get_settings()
    configure_logging(settings.log_level)
    if settings.workers > 1:
        return run_workers(settings.workers, settings.host, settings.port, settings.drain_seconds)
    run(create_app(settings), settings.host, settings.port, settings.drain_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
