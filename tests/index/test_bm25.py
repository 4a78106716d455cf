"""BM25 over stemmed terms: bm25s's scores, and the same files from every build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import bm25s
import numpy as np
import pytest

from index.bm25 import FILES, Bm25, top_indices
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
        "from tests.index.test_bm25 import _texts\n"
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


def test_top_indices_matches_a_full_sort() -> None:
    scores = np.array([0.1, 3.0, 3.0, -1.0, 2.0], dtype=np.float32)
    assert top_indices(scores, 3).tolist() == [1, 2, 4]
    assert top_indices(scores, 10).tolist() == [1, 2, 4, 0, 3]
    assert top_indices(scores, 0).tolist() == []
    tied = np.array([1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], dtype=np.float32)
    assert top_indices(tied, 3).tolist() == [1, 0, 2]  # ties at the cut: the lowest indices


def _full_ranking(bm: Bm25, query: str, k: int) -> list[int]:
    scores = bm.scores(query)
    return [i for i in top_indices(scores, k).tolist() if scores[i] > 0]


def test_top_is_the_head_of_the_full_ranking_without_its_zeros() -> None:
    # Few words over many short texts: long columns, many equal scores (the same words in
    # texts of the same length), and every k from none to more than the texts holding them.
    rng = np.random.default_rng(5)
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    weights = np.array([30, 20, 10, 5, 3, 2, 1, 0.5])
    corpus = [
        [str(w) for w in rng.choice(words, size=rng.integers(0, 6), p=weights / weights.sum())]
        for _ in range(3000)
    ]
    bm = Bm25.build(corpus)
    queries = ["hotel", "golf hotel", "alpha bravo", "alpha alpha hotel", "delta echo golf", "zulu"]
    for q in queries:
        for k in (0, 1, 7, 50, 200, 2999, 3000, 5000):
            ids, scores = bm.top(q, k)
            assert ids.tolist() == _full_ranking(bm, q, k), (q, k)
            assert np.array_equal(scores, bm.scores(q)[ids])
            assert (scores > 0).all()
    assert bm.top("zulu", 10)[0].tolist() == []  # no term of the question is indexed


def test_top_on_the_seed_sentences_is_the_full_ranking() -> None:
    bm = Bm25.build([terms(t) for t in _texts()])
    for q in [*QUESTIONS, "Microsoft Microsoft", "the a of", "data center power in Japan 2025"]:
        for k in (1, 5, 50, 200):
            assert bm.top(q, k)[0].tolist() == _full_ranking(bm, q, k), (q, k)


def test_only_the_method_whose_weights_are_all_positive_is_accepted() -> None:
    for method in ("bm25+", "bm25l", "robertson", "atire"):
        other = bm25s.BM25(method=method)
        other.index([["a", "b"], ["b", "c"]], show_progress=False)
        with pytest.raises(ValueError, match="not supported"):
            Bm25(other)
