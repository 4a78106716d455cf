"""`python -m eval.bench`: the name the docs and issues use. It only calls
``eval.perf.bench.main``; the tool itself lives in ``eval/perf/bench.py``."""

from __future__ import annotations

import sys

from eval.perf.bench import main

if __name__ == "__main__":
    sys.exit(main())
