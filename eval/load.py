"""`python -m eval.load`: the name the docs and issues use. It only calls
``eval.perf.load.main``; the tool itself lives in ``eval/perf/load.py``."""

from __future__ import annotations

import sys

from eval.perf.load import main

if __name__ == "__main__":
    sys.exit(main())
