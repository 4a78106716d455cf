"""A smoke run of `python -m eval.perf.scale` on small sizes: the FAISS/BM25 curve keeps working."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.perf.scale import main
from tests.conftest import SEEDS

pytestmark = pytest.mark.integration


def test_scale_smoke_measures_flat_ivf_and_bm25(tmp_path: Path, index_dir: Path) -> None:
    out, plot = tmp_path / "scale.json", tmp_path / "scale.png"
    args = ["--index", str(index_dir), "--seeds", str(SEEDS), "--sizes", "3000"]
    args += ["--bm25-sizes", "500", "--queries", "20", "--out", str(out), "--plot", str(plot)]
    assert main(args) == 0
    report = json.loads(out.read_text())
    (row,) = report["faiss"]
    assert row["vectors"] == 3000 and row["ivf"]["type"] == "IndexIVFFlat"
    assert row["ivf_recall@10"] >= 0.9 and row["flat_ms"] > 0 and row["ivf_ms"] > 0
    assert report["bm25"][0]["chunks"] == 500 and report["bm25"][0]["query_ms"] > 0
    assert plot.stat().st_size > 10_000
