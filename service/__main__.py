"""`python -m service`: serve the API with uvicorn on RAG_HOST:RAG_PORT."""

from __future__ import annotations

import sys
from pathlib import Path

from service.config import get_settings
from service.observe import configure_logging
from service.serve import run, run_workers, verify_index


def main() -> int:
    settings = get_settings()
    configure_logging(settings.log_level)
    if settings.workers > 1:
        verified = verify_index(Path(settings.index_dir))
        return run_workers(
            settings.workers, settings.host, settings.port, settings.drain_seconds, verified
        )
    # Imported here: a supervisor of several workers never builds the app itself, and the
    # import (FastAPI, FAISS, bm25s, about 0.9 s) would delay starting them.
    from service.api import create_app

    run(create_app(settings), settings.host, settings.port, settings.drain_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
