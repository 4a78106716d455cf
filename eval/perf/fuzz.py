"""`python -m eval.perf.fuzz` (`make fuzz`): schemathesis against `python -m service`.

Every phase (the schema's examples, coverage, fuzzing, stateful links), every check, at
least ``--max-examples`` cases per operation, a fixed seed, against the real service under
gunicorn on a free local port. Exits with schemathesis's status; ``--report-dir`` keeps its
JUnit and JSON reports, whose responses are what "no response >= 500" is read from.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from eval.perf.load import serve

PHASES = "examples,coverage,fuzzing,stateful"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.perf.fuzz", description=__doc__)
    p.add_argument("--index", type=Path, default=Path(os.environ.get("RAG_INDEX_DIR", "var/index")))
    p.add_argument("--max-examples", type=int, default=200)
    p.add_argument("--seed", type=int, default=26)
    p.add_argument("--report-dir", type=Path, default=Path("reports/fuzz"))
    args = p.parse_args(argv)
    schemathesis = Path(sys.executable).with_name("schemathesis")
    with serve({"RAG_INDEX_DIR": str(args.index)}) as srv:
        command = [
            str(schemathesis),
            "run",
            f"{srv.url}/openapi.json",
            "--checks",
            "all",
            "--phases",
            PHASES,
            "--max-examples",
            str(args.max_examples),
            "--seed",
            str(args.seed),
            "--continue-on-failure",
            "--report",
            "junit,ndjson",
            "--report-dir",
            str(args.report_dir),
        ]
        return subprocess.run(command, check=False).returncode  # noqa: S603 - our venv's tool


if __name__ == "__main__":
    sys.exit(main())
