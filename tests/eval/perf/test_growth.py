"""Synthetic corpora (eval.perf.synth) and a smoke run of `python -m eval.perf.growth`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eval.perf.synth import SEED_NAMES, articles, write_corpus
from index.corpus import parse_document, read_corpus, sentences_of
from tests.conftest import SEEDS


def test_articles_are_reproducible_and_vary_with_the_seed() -> None:
    first = list(articles(SEEDS, 5, seed=1))
    assert first == list(articles(SEEDS, 5, seed=1))
    assert first != list(articles(SEEDS, 5, seed=2))
    assert len(set(first)) == 5


def test_articles_look_like_news_pages_to_the_indexer(tmp_path: Path) -> None:
    made = write_corpus(SEEDS, tmp_path, 20, seed=0)
    docs = read_corpus(tmp_path)
    assert made.articles == len(docs) == 20
    for doc in docs:
        assert doc.title and doc.author and doc.published  # headline, byline, date line found
        body = list(sentences_of(doc))
        assert 8 <= len(body) <= 70  # the seeds' range of article lengths
        for names in SEED_NAMES.values():  # every seed entity was swapped for the article's own
            for n in names:
                assert not re.search(rf"\b{re.escape(n)}\b", doc.text), (doc.doc_id, n)
    words_per_article = made.words / made.articles
    assert 300 < words_per_article < 2000


def test_first_writes_the_articles_a_smaller_corpus_would_add_next(tmp_path: Path) -> None:
    write_corpus(SEEDS, tmp_path / "next", 2, seed=4, first=3)
    written = sorted(p.read_text(encoding="utf-8") for p in (tmp_path / "next").iterdir())
    assert written == sorted(list(articles(SEEDS, 5, seed=4))[3:])
    assert sorted(p.name[:6] for p in (tmp_path / "next").iterdir()) == ["000003", "000004"]


def test_a_synthetic_article_parses_like_a_file_read_from_disk() -> None:
    text = next(articles(SEEDS, 1, seed=3))
    doc = parse_document("x", text)
    assert all(doc.text[s.start : s.end].strip() for s in sentences_of(doc))


@pytest.mark.integration
def test_growth_smoke_builds_serves_and_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eval.perf import growth
    from index.generation import manifest_of

    monkeypatch.setattr(growth, "REQUESTS", {1: 10, 16: 32})
    out, plot = tmp_path / "growth.json", tmp_path / "growth.png"
    work = ["--work", str(tmp_path / "work")]
    args = ["--articles", "3", "--seeds", str(SEEDS), "--out", str(out), "--plot", str(plot)]
    assert growth.main([*args, *work]) == 0
    (row,) = json.loads(out.read_text())
    assert row["articles"] == 3 and row["documents"] == 8  # the five seeds stay in
    assert row["chunks"] > 0 and row["texts_per_s"] > 0
    # the size on disk is every file the manifest lists (BM25's folders too) and itself
    (measured,) = [
        g
        for g in (tmp_path / "work" / "index-3").glob("gen-*")
        if manifest_of(g)["counts"]["documents"] == row["documents"]
    ]
    listed = sum(e["bytes"] for e in manifest_of(measured)["files"].values())
    assert row["index_mib"] == round(
        (listed + (measured / "manifest.json").stat().st_size) / 2**20, 1
    )
    assert 0 < row["encoded"] <= row["chunks"] + row["sentences"]
    # one article added: only its new text is encoded, the rest comes from the vector cache
    assert 0 < row["update_encoded"] < row["encoded"] / 3
    assert row["levels"]["16"]["statuses"] == {"200": 32}
    assert plot.stat().st_size > 10_000
    assert row["commit"]  # which code was measured
    assert row["machine"]["cores"] >= 1 and row["machine"]["cpu"]  # and on what
    # PSS counts pages the workers share once, so it is below the summed RSS
    assert 0 < row["server_pss_mib"] <= row["server_rss_mib"]
    # the build's heap, sampled, is part of its resident high-water mark (one process here)
    assert 0 < row["build_peak_anon_mib"] <= row["build_peak_rss_mib"]
    assert f"({row['build_peak_anon_mib']:,.0f})" in out.with_suffix(".md").read_text()
    # another size merged in: the first row is kept, the sizes stay in order
    assert growth.main(["--articles", "1", *args[2:], "--merge"]) == 0
    assert [r["articles"] for r in json.loads(out.read_text())] == [1, 3]
    # a stopped run resumed: every vector comes from the first run's cache
    assert growth.main([*args, *work, "--merge", "--resume"]) == 0
    resumed = json.loads(out.read_text())[1]
    assert resumed["resumed"] and resumed["encoded"] == 0 and resumed["chunks"] == row["chunks"]
    assert "(resumed)" in out.with_suffix(".md").read_text()


def test_a_resumed_run_keeps_the_corpus_an_earlier_run_finished(tmp_path: Path) -> None:
    from eval.perf.growth import CORPUS_MARK, prepare_corpus

    corpus = tmp_path / "corpus"
    words = prepare_corpus(SEEDS, corpus, 3, seed=0, reuse=False)
    times = {p.name: p.stat().st_mtime_ns for p in corpus.glob("*.txt")}
    assert len(times) == 8 and (corpus / CORPUS_MARK).is_file()
    # resumed: nothing is written again
    assert prepare_corpus(SEEDS, corpus, 3, seed=0, reuse=True) == words
    assert {p.name: p.stat().st_mtime_ns for p in corpus.glob("*.txt")} == times
    # an article missing, or another seed: written again, and the mark follows
    min(corpus.glob("0*.txt")).unlink()
    assert prepare_corpus(SEEDS, corpus, 3, seed=0, reuse=True) == words
    assert len(list(corpus.glob("*.txt"))) == 8
    before = {p.name for p in corpus.glob("*.txt")}
    prepare_corpus(SEEDS, corpus, 3, seed=1, reuse=True)
    assert {p.name for p in corpus.glob("*.txt")} != before
    # the mark is trusted when resuming; without --resume the corpus is always written afresh
    article = min(corpus.glob("0*.txt"))
    text = article.read_text(encoding="utf-8")
    article.write_text("edited by hand", encoding="utf-8")
    prepare_corpus(SEEDS, corpus, 3, seed=1, reuse=True)
    assert article.read_text(encoding="utf-8") == "edited by hand"
    prepare_corpus(SEEDS, corpus, 3, seed=1, reuse=False)
    assert article.read_text(encoding="utf-8") == text


@pytest.mark.integration  # builds and measures two small corpora (about 10 s)
def test_a_run_stopped_during_the_update_keeps_the_row_it_measured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eval.perf import growth

    def killed(*_: object) -> dict[str, object]:
        raise KeyboardInterrupt  # the sitting ended while the update was building

    monkeypatch.setattr(growth, "REQUESTS", {1: 4, 16: 16})
    monkeypatch.setattr(growth, "update", killed)
    out, plot = tmp_path / "growth.json", tmp_path / "growth.png"
    args = ["--articles", "2", "--seeds", str(SEEDS), "--out", str(out), "--plot", str(plot)]
    with pytest.raises(KeyboardInterrupt):
        growth.main(args)
    (row,) = json.loads(out.read_text())
    assert row["articles"] == 2 and row["levels"]["16"]["statuses"] == {"200": 16}
    assert "update_s" not in row and "not measured" in out.with_suffix(".md").read_text()
