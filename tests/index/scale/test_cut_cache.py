"""The build's cut cache: each article cut once, reused by text, never trusted blindly."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from index import records
from index.build import build_index
from index.chunk import ChunkParams, TokenCounter
from index.corpus import read_corpus
from index.embed import tokenizer_file
from index.records import build_records
from index.scale.cut_cache import CutCache, article_key, fits
from index.types import Document
from tests.fakes import HashingEncoder

ADDED = "\n\nThe harbour authority said the new pier would open in March next year.\n"


@pytest.fixture
def counter() -> TokenCounter:
    return TokenCounter(ChunkParams(), tokenizer_file())


@pytest.fixture
def cut_texts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts of the articles actually cut (not taken from the cache), in order."""
    seen: list[str] = []
    real = records._cut

    def counting(text: str, segments: records.Segments, counter: TokenCounter) -> object:
        seen.append(text)
        return real(text, segments, counter)

    monkeypatch.setattr(records, "_cut", counting)
    return seen


def _jobs(docs: list[Document]) -> list[tuple[str, records.Segments]]:
    return [(d.text, [[(s.start, s.end) for s in seg] for seg in d.segments]) for d in docs]


def test_a_second_build_cuts_nothing_and_gets_the_same_records(
    tmp_path: Path, seeds_dir: Path, counter: TokenCounter, cut_texts: list[str]
) -> None:
    docs = read_corpus(seeds_dir)
    plain = build_records(docs, counter)
    assert len(cut_texts) == len(docs)
    first = build_records(docs, counter, cache=CutCache(tmp_path, counter))
    second = build_records(docs, counter, cache=CutCache(tmp_path, counter))
    assert first == plain and second == plain
    assert len(cut_texts) == 2 * len(docs)  # the plain build's and the first cached one's


def test_only_a_changed_article_is_cut_again(
    tmp_path: Path, seeds_copy: Path, counter: TokenCounter, cut_texts: list[str]
) -> None:
    build_records(read_corpus(seeds_copy), counter, cache=CutCache(tmp_path, counter))
    changed = sorted(seeds_copy.glob("*.txt"))[2]
    changed.write_text(changed.read_text(encoding="utf-8") + ADDED, encoding="utf-8")
    docs = read_corpus(seeds_copy)
    cut_texts.clear()
    again = build_records(docs, counter, cache=CutCache(tmp_path, counter))
    assert len(cut_texts) == 1 and ADDED.strip() in cut_texts[0]
    assert again == build_records(docs, counter)


def test_the_cache_keeps_only_the_last_builds_articles(
    tmp_path: Path, seeds_dir: Path, counter: TokenCounter
) -> None:
    docs = read_corpus(seeds_dir)
    cache = CutCache(tmp_path, counter)
    build_records(docs, counter, cache=cache)
    build_records(docs[:2], counter, cache=cache)
    kept = cache.load()
    assert set(kept) == {article_key(text, segs) for text, segs in _jobs(docs[:2])}
    assert len([p for p in cache.folder.iterdir() if p.name != "cutting.json"]) == 1


def test_a_damaged_file_is_skipped_with_a_warning(
    tmp_path: Path,
    seeds_dir: Path,
    counter: TokenCounter,
    cut_texts: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    docs = read_corpus(seeds_dir)
    cache = CutCache(tmp_path, counter)
    plain = build_records(docs, counter, cache=cache)
    (stored,) = [p for p in cache.folder.iterdir() if p.name != "cutting.json"]
    stored.write_bytes(stored.read_bytes().replace(b"[", b"{", 1))
    cut_texts.clear()
    with caplog.at_level(logging.WARNING, logger="index.scale.cut_cache"):
        again = build_records(docs, counter, cache=cache)
    assert "do not match its name" in caplog.text
    assert len(cut_texts) == len(docs) and again == plain
    # The same cuts again, so the same file name: the damaged file was replaced, not kept.
    cut_texts.clear()
    assert build_records(docs, counter, cache=cache) == plain and cut_texts == []


def test_a_cut_that_does_not_fit_its_article_is_cut_again(
    tmp_path: Path, seeds_dir: Path, counter: TokenCounter, cut_texts: list[str]
) -> None:
    """A well-formed file whose cut points past the article (written by other code, say)."""
    docs = read_corpus(seeds_dir)
    cache = CutCache(tmp_path, counter)
    plain = build_records(docs, counter, cache=cache)
    kept = cache.load()
    key = article_key(*_jobs(docs)[0])
    kept[key][0][0][-1] = [len(docs[0].text) + 10, len(docs[0].text) + 20]
    cache.store(list(kept), list(kept.values()))
    cut_texts.clear()
    again = build_records(docs, counter, cache=cache)
    assert cut_texts == [docs[0].text] and again == plain


def test_fresh_cuts_fit_and_broken_ones_do_not(seeds_dir: Path, counter: TokenCounter) -> None:
    for text, segments in _jobs(read_corpus(seeds_dir)):
        cut = json.loads(json.dumps(records._cut(text, segments, counter)))
        assert fits(cut, len(text), segments)
        j = max(range(len(cut)), key=lambda i: len(cut[i][0]))  # the most sentences
        offsets, groups = cut[j]
        assert len(offsets) >= 2

        def with_entry(entry: object, cut: list[object] = cut, j: int = j) -> list[object]:
            return [*cut[:j], entry, *cut[j + 1 :]]

        assert not fits(cut[:j] + cut[j + 1 :], len(text), segments)  # a segment missing
        assert not fits(with_entry([offsets[::-1], groups]), len(text), segments)
        assert not fits(with_entry([offsets, [[0, len(offsets)]]]), len(text), segments)
        assert not fits(with_entry([offsets, [[1, 0]]]), len(text), segments)
        assert not fits(with_entry(["x", groups]), len(text), segments)
        past = [*offsets[:-1], [offsets[-1][0], segments[j][-1][1] + 1]]
        assert not fits(with_entry([past, groups]), len(text) + 10, segments)  # past the segment
        assert fits([*cut, [[], []]], len(text), [*segments, []])  # an empty segment, cut empty
        assert not fits([*cut, [[[0, 1]], []]], len(text), [*segments, []])
        assert not fits(cut, offsets[-1][1] - 1, segments)  # past the end of the text


def test_other_chunk_parameters_never_share_cuts(tmp_path: Path, counter: TokenCounter) -> None:
    other = TokenCounter(ChunkParams(max_tokens=80), tokenizer_file())
    assert CutCache(tmp_path, counter).folder != CutCache(tmp_path, other).folder
    folder = CutCache(tmp_path, counter).folder
    (folder / "cutting.json").write_text(json.dumps({"max_tokens": 1}), encoding="utf-8")
    with pytest.raises(ValueError, match="remove the folder"):
        CutCache(tmp_path, counter)


def test_a_rebuild_with_one_more_article_cuts_only_that_one(
    tmp_path: Path, seeds_copy: Path, cut_texts: list[str]
) -> None:
    out, cuts = tmp_path / "idx", tmp_path / "idx" / "cut-cache"
    build_index(seeds_copy, out, HashingEncoder(), cuts=cuts)
    added = seeds_copy / "zz-added.txt"
    added.write_text("Harbour pier to open\n" + ADDED, encoding="utf-8")
    cut_texts.clear()
    report = build_index(seeds_copy, out, HashingEncoder(), cuts=cuts)
    assert len(cut_texts) == 1 and ADDED.strip() in cut_texts[0]
    assert report.documents == 6
