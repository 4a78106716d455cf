"""The build's vector cache: rows by text, resumed builds, rebuilds that encode only new text."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from index import build as build_module
from index.build import build_index, embed_texts, text_keys
from index.scale.vector_cache import VectorCache
from index.store import load
from tests.fakes import HashingEncoder

DIM = 384


class CountingEncoder(HashingEncoder):
    """Counts what reaches the encoder; fails on call ``fail_on`` (a build killed midway)."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.calls = 0
        self.texts: list[str] = []
        self.fail_on = fail_on

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        self.calls += 1
        if self.calls == self.fail_on:
            raise OSError("killed")
        self.texts.extend(texts)
        return super().encode(texts, batch_size)


def cache_at(root: Path, model: str = HashingEncoder.name, weights: str = "w1") -> VectorCache:
    return VectorCache(root, model, weights, DIM)


def rows(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)


def test_rows_come_back_by_text_and_unknown_texts_are_missing(tmp_path: Path) -> None:
    cache = cache_at(tmp_path)
    keys = text_keys(["alpha", "beta", "gamma"])
    vectors = rows(3)
    cache.add(keys[:2], vectors[:2])
    out = np.zeros((3, DIM), dtype=np.float32)
    found = cache.lookup(keys[::-1].copy(), out)  # any order
    assert found.tolist() == [False, True, True]
    assert np.array_equal(out[1], vectors[1]) and np.array_equal(out[2], vectors[0])
    assert not out[0].any()


def test_a_damaged_segment_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = cache_at(tmp_path)
    keys = text_keys(["alpha", "beta"])
    (segment,) = cache.add(keys, rows(2))
    data = bytearray(segment.read_bytes())
    data[-1] ^= 0x01  # one bit of one vector
    segment.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="index.scale.vector_cache"):
        found = cache.lookup(keys, np.zeros((2, DIM), dtype=np.float32))
    assert not found.any()
    assert "do not match its name" in caplog.text


def test_another_model_or_weights_never_shares_rows(tmp_path: Path) -> None:
    keys = text_keys(["alpha"])
    cache_at(tmp_path).add(keys, rows(1))
    for other in (cache_at(tmp_path, weights="w2"), cache_at(tmp_path, model="other")):
        assert not other.lookup(keys, np.zeros((1, DIM), dtype=np.float32)).any()
    mine = cache_at(tmp_path)
    (mine.folder / "model.json").write_text('{"model": "someone else"}', encoding="utf-8")
    with pytest.raises(ValueError, match="remove the folder"):
        cache_at(tmp_path)


def test_stale_rows_are_dropped_only_when_they_are_the_most(tmp_path: Path) -> None:
    cache = cache_at(tmp_path)
    keys = text_keys([f"t{i}" for i in range(10)])
    vectors = rows(10)
    cache.add(keys, vectors)
    assert cache.keep_only(keys[:6]) == 0  # 4 stale of 10: left alone
    assert len(cache.segments()) == 1
    assert cache.keep_only(keys[:3]) == 7
    out = np.zeros((10, DIM), dtype=np.float32)
    found = cache.lookup(keys, out)
    assert found.tolist() == [True] * 3 + [False] * 7
    assert np.array_equal(out[:3], vectors[:3])
    assert cache.keep_only(text_keys([])) == 3  # no article left: nothing is kept
    assert cache.segments() == []


def test_repeated_texts_are_encoded_once_and_every_copy_gets_the_row() -> None:
    enc = CountingEncoder()
    texts = ["one fact.", "another fact.", "one fact.", "one fact."]
    embedded = embed_texts(texts, enc, batch_size=8, cache=None)
    assert sorted(enc.texts) == ["another fact.", "one fact."]
    assert embedded.encoded == 2
    assert np.array_equal(embedded.rows(0, len(texts)), enc.encode(texts))


def test_a_rebuild_encodes_only_the_new_article(tmp_path: Path, seeds_copy: Path) -> None:
    first, cached = CountingEncoder(), cache_at(tmp_path / "cache")
    report = build_index(seeds_copy, tmp_path / "idx", first, cache=cached)
    assert report.encoded == len(set(first.texts)) > 100
    article = next(seeds_copy.glob("*.txt"))
    new_text = article.read_text(encoding="utf-8").replace("Tokyo", "Osaka")
    (seeds_copy / "zz-edited-copy.txt").write_text(new_text, encoding="utf-8")
    second = CountingEncoder()
    again = build_index(seeds_copy, tmp_path / "idx", second, cache=cached)
    assert 0 < again.encoded == len(second.texts) < 30
    assert all("Osaka" in t for t in second.texts)  # the unchanged sentences came cached
    fresh = build_index(seeds_copy, tmp_path / "fresh", CountingEncoder())
    a = load(tmp_path / "idx", model=HashingEncoder.name, dimension=DIM)
    b = load(fresh.path.parent, model=HashingEncoder.name, dimension=DIM)
    every = np.arange(len(a.sentences))
    assert np.array_equal(a.sentence_vectors(every), b.sentence_vectors(every))  # exact rows
    n = a.chunk_index.ntotal
    assert np.array_equal(a.chunk_index.reconstruct_n(0, n), b.chunk_index.reconstruct_n(0, n))


def test_a_killed_build_resumes_where_it_stopped(
    tmp_path: Path, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_module, "SEGMENT_ROWS", 40)
    cached = cache_at(tmp_path / "cache")
    killed = CountingEncoder(fail_on=3)
    with pytest.raises(OSError, match="killed"):
        build_index(seeds_copy, tmp_path / "idx", killed, cache=cached)
    assert not (tmp_path / "idx" / "CURRENT").exists()  # nothing was published
    assert len(killed.texts) == 80 and len(cached.segments()) == 2
    resumed = CountingEncoder()
    report = build_index(seeds_copy, tmp_path / "idx", resumed, cache=cached)
    assert not set(resumed.texts) & set(killed.texts)
    everything = CountingEncoder()
    embed_texts(list(set(killed.texts) | set(resumed.texts)), everything, 8, None)
    assert report.encoded == len(resumed.texts) == len(everything.texts) - 80
