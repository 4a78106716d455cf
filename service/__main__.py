"""`python -m service`: serve the API on RAG_HOST:RAG_PORT with RAG_WORKERS processes."""

from __future__ import annotations

import sys

from service.config import get_settings
from service.observe import configure_logging
from service.serve import run


def main() -> int:
    settings = get_settings()
    configure_logging(settings.log_level)
    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
