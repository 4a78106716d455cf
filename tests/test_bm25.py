"""BM25 over stemmed terms: bm25s's scores, and the same files from every build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import bm25s
import numpy as np

from index.bm25 import FILES, Bm25
from index.text import terms
from tests.conftest import ROOT, SEEDS

QUESTIONS = ["How much is Microsoft investing in Japan?", "who runs the company", "AI data centers"]


def _texts() -> list[str]:
    return [
        line
        for path in sorted(SEEDS.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def test_scores_are_bm25s_own() -> None:
    corpus = [terms(t) for t in _texts()]
    ours = Bm25.build(corpus)
    ref = bm25s.BM25()
    ref.index([ts or ["\x00"] for ts in corpus], show_progress=False)
    for q in QUESTIONS:
        found = [t for t in terms(q) if t in ref.vocab_dict]
        assert found
        assert np.allclose(ours.scores(q), ref.get_scores(found))


def test_files_do_not_depend_on_string_hashing(tmp_path: Path) -> None:
    # Python hashes strings with a per-process seed; bm25s numbers its vocabulary in a set's
    # order, so two builds of the same texts wrote different files until ours sorted it.
    code = (
        "import sys; from pathlib import Path\n"
        "from index.bm25 import Bm25; from index.text import terms\n"
        "from tests.test_bm25 import _texts\n"
        "Bm25.build([terms(t) for t in _texts()]).save(Path(sys.argv[1]))\n"
    )
    for seed in ("1", "2"):
        subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / seed)],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        )
    for name in FILES:
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name
