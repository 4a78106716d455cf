"""The build's parse cache: each article file parsed once, reused by its bytes, never
trusted blindly."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from index import corpus
from index.build import build_index
from index.corpus import read_corpus
from index.scale.parse_cache import ParseCache, document, entry, identity
from index.types import Document
from tests.fakes import HashingEncoder

ADDED = "\n\nThe harbour authority said the new pier would open in March next year.\n"


@pytest.fixture
def parsed_ids(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the articles actually parsed (not taken from the cache), in order."""
    seen: list[str] = []
    real = corpus.parse_document

    def counting(doc_id: str, text: str, sha256: str | None = None) -> Document:
        seen.append(doc_id)
        return real(doc_id, text, sha256)

    monkeypatch.setattr(corpus, "parse_document", counting)
    monkeypatch.setattr("index.scale.parse_cache.parse_document", counting)
    return seen


def _kept_file(cache: ParseCache) -> Path:
    (path,) = [p for p in cache.folder.iterdir() if p.name != "parsing.json"]
    return path


def test_a_second_read_parses_nothing_and_gets_the_same_documents(
    tmp_path: Path, seeds_dir: Path, parsed_ids: list[str]
) -> None:
    plain = read_corpus(seeds_dir)
    assert len(parsed_ids) == len(plain)
    first = read_corpus(seeds_dir, ParseCache(tmp_path))
    second = read_corpus(seeds_dir, ParseCache(tmp_path))
    assert first == plain and second == plain
    assert len(parsed_ids) == 2 * len(plain)  # the plain read's and the first cached one's
    for doc in second:  # every span is the file's text at its offsets
        assert all(doc.text[s.start : s.end] == s.text for seg in doc.segments for s in seg)


def test_only_a_changed_or_added_article_is_parsed_and_a_removed_one_is_forgotten(
    tmp_path: Path, seeds_copy: Path, parsed_ids: list[str]
) -> None:
    cache = ParseCache(tmp_path)
    read_corpus(seeds_copy, cache)
    paths = sorted(seeds_copy.glob("*.txt"))
    paths[2].write_text(paths[2].read_text(encoding="utf-8") + ADDED, encoding="utf-8")
    (seeds_copy / "zz-added.txt").write_text("Harbour pier to open\n" + ADDED, encoding="utf-8")
    removed = paths[0].read_bytes()
    paths[0].unlink()
    parsed_ids.clear()
    docs = read_corpus(seeds_copy, cache)
    assert parsed_ids == [paths[2].stem, "zz-added"]
    parsed_ids.clear()
    assert docs == read_corpus(seeds_copy)
    kept = cache.load()
    assert set(kept) == {d.sha256 for d in docs}
    assert corpus.hashlib.sha256(removed).hexdigest() not in kept


def test_the_same_bytes_under_another_name_share_a_parse(
    tmp_path: Path, seeds_copy: Path, parsed_ids: list[str]
) -> None:
    cache = ParseCache(tmp_path)
    read_corpus(seeds_copy, cache)
    first = sorted(seeds_copy.glob("*.txt"))[0]
    (seeds_copy / "zz-copy.txt").write_bytes(first.read_bytes())
    parsed_ids.clear()
    docs = {d.doc_id: d for d in read_corpus(seeds_copy, cache)}
    assert parsed_ids == []
    assert docs["zz-copy"].segments == docs[first.stem].segments


def test_a_damaged_file_is_skipped_with_a_warning(
    tmp_path: Path, seeds_dir: Path, parsed_ids: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    cache = ParseCache(tmp_path)
    plain = read_corpus(seeds_dir, cache)
    stored = _kept_file(cache)
    stored.write_bytes(stored.read_bytes().replace(b"[", b"{", 1))
    parsed_ids.clear()
    with caplog.at_level(logging.WARNING):
        again = read_corpus(seeds_dir, cache)
    assert "do not match its name" in caplog.text
    assert len(parsed_ids) == len(plain) and again == plain
    # The same parses again, so the same file name: the damaged file was replaced, not kept.
    parsed_ids.clear()
    assert read_corpus(seeds_dir, cache) == plain and parsed_ids == []


def test_a_parse_that_does_not_fit_its_file_is_parsed_again(
    tmp_path: Path, seeds_dir: Path, parsed_ids: list[str]
) -> None:
    """A well-formed file (written by other code, say) whose parse points past the article."""
    cache = ParseCache(tmp_path)
    plain = read_corpus(seeds_dir, cache)
    kept = cache.load()
    kept[plain[1].sha256]["segments"][-1][-1] = len(plain[1].text) + 5
    cache._kept.store(kept)
    parsed_ids.clear()
    assert read_corpus(seeds_dir, cache) == plain
    assert parsed_ids == [plain[1].doc_id]


def test_fresh_parses_fit_and_broken_ones_do_not(seeds_dir: Path) -> None:
    for doc in read_corpus(seeds_dir):
        good = json.loads(json.dumps(entry(doc)))
        assert document(doc.doc_id, doc.text, doc.sha256, good) == doc
        n = len(doc.text)

        def broken(good: dict[str, object] = good, **change: object) -> dict[str, object]:
            return {**json.loads(json.dumps(good)), **change}

        segments = good["segments"]
        first, *rest = segments
        for bad in (
            None,
            [],
            {k: v for k, v in good.items() if k != "url"},  # a field missing
            broken(extra=1),
            broken(title=3),
            broken(segments=None),
            broken(segments=[[], *segments]),  # an empty segment
            broken(segments=[first[:-1], *rest]),  # an odd count of offsets
            broken(segments=[[first[1], first[0], *first[2:]], *rest]),  # start after end
            broken(segments=[[*first, first[-1] - 1, first[-1] + 1], *rest]),  # overlapping
            broken(segments=[*segments, [n, n + 1]]),  # past the text
            broken(segments=[[float(first[0]), *first[1:]], *rest]),
            broken(segments=[[True, *first[1:]], *rest]),
            broken(segments=[*rest, first] if rest else [[-1, 1]]),  # out of order
            broken(byline=[0, n + 1]),
            broken(dateline=[5, 5]),
            broken(byline="x"),
        ):
            assert document(doc.doc_id, doc.text, doc.sha256, bad) is None, bad


def test_the_identity_names_the_code_python_and_unicode(tmp_path: Path) -> None:
    ident = identity()
    assert set(ident) == {"code_sha256", "python", "unicode"}
    folder = ParseCache(tmp_path).folder
    assert json.loads((folder / "parsing.json").read_text(encoding="utf-8")) == ident
    (folder / "parsing.json").write_text(json.dumps({**ident, "unicode": "1.0"}), "utf-8")
    with pytest.raises(ValueError, match="remove the folder"):
        ParseCache(tmp_path)


def test_a_rebuild_with_one_more_article_parses_only_that_one(
    tmp_path: Path, seeds_copy: Path, parsed_ids: list[str]
) -> None:
    out = tmp_path / "idx"
    parses, cuts = out / "parse-cache", out / "cut-cache"
    first = build_index(seeds_copy, out, HashingEncoder(), cuts=cuts, parses=parses)
    files = json.loads((first.path / "manifest.json").read_text())["files"]
    (seeds_copy / "zz-added.txt").write_text("Harbour pier to open\n" + ADDED, encoding="utf-8")
    parsed_ids.clear()
    report = build_index(seeds_copy, out, HashingEncoder(), cuts=cuts, parses=parses)
    assert parsed_ids == ["zz-added"] and report.documents == 6
    (seeds_copy / "zz-added.txt").unlink()
    parsed_ids.clear()
    again = build_index(seeds_copy, out, HashingEncoder(), cuts=cuts, parses=parses)
    assert parsed_ids == []
    # the same articles give the same files, parsed or cached
    assert json.loads((again.path / "manifest.json").read_text())["files"] == files
