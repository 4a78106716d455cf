"""`python -m index build | info` as a user runs them (real model, subprocess)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_index_cli

pytestmark = pytest.mark.integration


run = run_index_cli


def test_build_then_info_then_up_to_date(tmp_path: Path, seeds_copy: Path) -> None:
    out = tmp_path / "idx"
    built = run("build", "--seeds", str(seeds_copy), "--out", str(out))
    assert built.returncode == 0, built.stderr
    assert "5 documents" in built.stdout and "chunks" in built.stdout
    info = run("info", "--out", str(out))
    assert info.returncode == 0
    manifest = json.loads(info.stdout)
    assert manifest["counts"]["documents"] == 5
    again = run("build", "--if-stale", "--seeds", str(seeds_copy), "--out", str(out))
    assert again.returncode == 0 and "up to date" in again.stdout
    # (--retrain: a large index's IVF centroids trained afresh; this one is flat)
    rebuilt = run("build", "--retrain", "--seeds", str(seeds_copy), "--out", str(out))
    assert rebuilt.returncode == 0 and "(0 texts encoded" in rebuilt.stdout, rebuilt.stdout
    assert "cached: encoding 0" in rebuilt.stderr  # the progress log
    assert "parsed 0 of 5 articles" in rebuilt.stderr and "cut 0 of 5" in rebuilt.stderr
    assert any((out / "vector-cache").glob("*/*.npy"))
    assert any((out / "parse-cache").glob("*/parsing.json"))
    uncached = run("build", "--no-cache", "--seeds", str(seeds_copy), "--out", str(tmp_path / "o"))
    assert uncached.returncode == 0 and "cached in" not in uncached.stdout
    for kind in ("vector", "parse", "cut"):
        assert not (tmp_path / "o" / f"{kind}-cache").exists()


def test_errors_exit_non_zero_with_a_message(tmp_path: Path) -> None:
    info = run("info", "--out", str(tmp_path / "none"))
    assert info.returncode == 1 and "python -m index build" in info.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    build = run("build", "--seeds", str(empty), "--out", str(tmp_path / "o"))
    assert build.returncode == 1 and "no *.txt articles" in build.stderr
    bad = run("build", "--max-tokens", "2")
    assert bad.returncode == 2 and "max_tokens" in bad.stderr
    both = run("build", "--cache", str(tmp_path / "c"), "--no-cache")
    assert both.returncode == 2 and "not allowed with" in both.stderr
