"""The question set is valid, the metrics match SQuAD v2.0, and the harness meets its floors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.__main__ import FLOORS, check_floors, check_report, corpus_pipeline, score_pipeline
from eval.corpus import corpus
from eval.dataset import TYPES, article_texts, load, problems
from eval.metrics import best_em, best_f1, citation_valid, exact_match, f1, normalize_answer
from eval.overlap import BORROWED, answer_sentences, overlap
from eval.selective import answered_precision, calibration, consistency, risk_coverage
from index.embed import Embedder
from service.config import Settings
from service.pipeline import Pipeline


def test_original_question_set_is_valid(seeds_dir: Path) -> None:
    items = load()
    assert problems(items, seeds_dir) == []
    assert len(items) >= 100


@pytest.mark.parametrize(("name", "least", "articles"), [("seeds", 300, 5), ("fiction", 120, 6)])
def test_corpus_question_sets_are_valid_and_hard(
    name: str, least: int, articles: int, seeds_dir: Path
) -> None:
    c = corpus(name, seeds_dir)
    items = load(c.questions)
    assert problems(items, c.articles) == []
    assert len(items) >= least
    assert len(article_texts(c.articles)) >= articles
    assert set(c.true_metadata()) == set(article_texts(c.articles))
    counts = {t: sum(1 for i in items if i.type == t) for t in TYPES}
    for kind in ("unanswerable", "list", "title", "explain", "chat", "multi_doc"):
        assert counts[kind] >= 10, kind
    # at most a third of the answerable questions borrow most of their answer sentence's words
    sentences = answer_sentences(article_texts(c.articles))
    shares = [overlap(i, sentences) for i in items if i.answerable]
    assert sum(1 for s in shares if s is not None and s > BORROWED) <= len(shares) / 3
    # both splits are used, and a group of rewordings never straddles them
    assert {i.split for i in items} == {"dev", "test"}
    groups: dict[str, set[str]] = {}
    for i in items:
        if i.group:
            groups.setdefault(i.group, set()).add(i.split)
    assert all(len(v) == 1 for v in groups.values())


def test_rewordings_number_at_least_sixty(seeds_dir: Path) -> None:
    groups = {
        i.group
        for n in ("seeds", "fiction")
        for i in load(corpus(n, seeds_dir).questions)
        if i.group
    }
    assert len(groups) >= 60


def test_split_is_fixed_by_the_hash_of_group_or_id() -> None:
    from eval.dataset import EvalItem

    a = EvalItem(id="q1", question="q", answers=[], doc_ids=[], type="unanswerable")
    b = EvalItem(id="q2", question="q", answers=[], doc_ids=[], type="unanswerable", group="g7")
    c = EvalItem(id="q3", question="r", answers=[], doc_ids=[], type="unanswerable", group="g7")
    assert b.split == c.split  # one group, one split
    import hashlib

    assert a.split == ("dev" if hashlib.sha256(b"q1").digest()[-1] % 2 == 0 else "test")


def test_selective_answering_metrics() -> None:
    def row(gold: list[str], answer: str | None, conf: float, f1v: float) -> dict[str, object]:
        return {
            "gold": gold,
            "answer": answer,
            "raw_answer": answer,
            "confidence": conf,
            "f1": f1v,
            "raw_f1": f1v,
            "group": None,
        }

    rows = [
        row(["a"], "a", 0.9, 1.0),
        row(["b"], "x", 0.8, 0.0),
        row(["c"], None, 0.1, 0.0),
        row([], "y", 0.7, 0.0),
    ]
    precision, coverage = answered_precision(rows)
    assert precision == pytest.approx(1 / 3, abs=1e-3)
    assert coverage == pytest.approx(2 / 3, abs=1e-3)
    curve = risk_coverage([{**r, "raw_answer": r["answer"] or "z"} for r in rows])
    assert curve[0] == {"threshold": 0.9, "answered": 1, "coverage": 0.3333, "precision": 1.0}
    bins = calibration([row(["a"], "a", 0.95, 1.0)] * 10 + [row(["a"], "b", 0.55, 0.0)] * 10)
    by_bin = {b["bin"]: b for b in bins}
    assert by_bin["0.9-1.0"]["ok"] and not by_bin["0.5-0.6"]["ok"]
    grouped = [
        {**row(["a b"], "a b", 0.9, 1.0), "group": "g"},
        {**row(["a b"], "a b", 0.9, 1.0), "group": "g"},
        {**row(["c"], "c", 0.9, 1.0), "group": "h"},
        {**row(["c"], None, 0.1, 0.0), "group": "h"},
    ]
    assert consistency(grouped) == {"groups": 2, "consistent": 0.5}


def test_metadata_accuracy_counts_only_stated_fields() -> None:
    from types import SimpleNamespace

    from eval.corpus import TrueMetadata
    from eval.metadata import accuracy

    truth = {
        "a": TrueMetadata(title="Big News", publisher="The Post", author=None, date="2026-01-02"),
        "b": TrueMetadata(title="Other", publisher=None, author="Ann Lee", date=None),
    }
    found = {
        "a": SimpleNamespace(
            title="Big  news", source="the Post", author=None, published="2026-01-02"
        ),
        "b": SimpleNamespace(title="Menu", source="X", author="Ann Lee", published="2026-01-03"),
    }
    m = accuracy(found, truth)
    assert m["fields"]["title"] == {"right": 1, "of": 2, "share": 0.5}
    assert m["fields"]["publisher"] == {"right": 1, "of": 1, "share": 1.0}
    assert m["fields"]["author"]["share"] == 1.0
    assert m["fields"]["date"] == {"right": 1, "of": 1, "share": 1.0}
    assert any("states none" in w for w in m["wrong"])


def test_validation_catches_bad_items(seeds_dir: Path) -> None:
    from eval.dataset import EvalItem

    bad = [
        EvalItem(
            id="x",
            question="q",
            answers=["not in any article"],
            doc_ids=["002_bc3d2b23fcc61d83"],
            type="factoid",
        ),
        EvalItem(id="x", question="q", answers=[], doc_ids=[], type="weird"),
    ]
    found = problems(bad, seeds_dir)
    assert any("is in none of its doc_ids" in p for p in found)
    assert any("duplicate id" in p for p in found)
    assert any("unknown type" in p for p in found)


@pytest.mark.parametrize(
    ("text", "norm"),
    [
        ("The Cat!", "cat"),
        ("  a  quick, brown fox ", "quick brown fox"),
        ("“data sovereignty”", "data sovereignty"),
        ("US$2.9 billion", "us29 billion"),
        ("an apple — the end", "apple end"),
    ],
)
def test_normalisation_follows_squad_v2(text: str, norm: str) -> None:
    assert normalize_answer(text) == norm


def test_em_and_f1_hand_cases() -> None:
    # Values worked by hand from the official SQuAD v2.0 script's definitions.
    assert exact_match("the Eiffel Tower", "Eiffel tower.") == 1
    assert f1("Eiffel Tower", "the tall Eiffel Tower") == pytest.approx(
        2 * (2 / 3) * 1 / (2 / 3 + 1)
    )
    assert f1("Barack Obama", "Obama") == pytest.approx(2 * 1 * 0.5 / 1.5)
    assert f1("a b", "c d") == 0.0
    # unanswerable: gold is the empty answer
    assert best_f1([], None) == 1.0 and best_em([], None) == 1
    assert best_f1([], "something") == 0.0
    # an abstention on an answerable question scores 0
    assert best_f1(["x"], None) == 0.0
    assert best_em(["US$2.9 billion", "$2.9 billion"], "$2.9 billion") == 1


def test_citation_validity() -> None:
    text = "Microsoft will invest US$2.9 billion."
    assert citation_valid(text, text[0:37], 0, 37, "US$2.9 billion")
    assert not citation_valid(text, text[0:37], 1, 38, "US$2.9 billion")
    assert not citation_valid(text, text[0:37], 0, 37, "US$3 billion")


def test_floors_direction() -> None:
    overall = {"em": 0.5, "false_abstention": 0.3}
    assert check_floors(overall, {"em": 0.6, "max_false_abstention": 0.2}) == [
        "em 0.500 < 0.6",
        "false_abstention 0.300 > 0.2",
    ]


@pytest.mark.integration
def test_harness_meets_the_seed_floors(pipeline: Pipeline, seeds_dir: Path) -> None:
    c = corpus("seeds", seeds_dir)
    # the service as configured by default: the reader's own threshold
    default = Pipeline(
        pipeline.store,
        pipeline.encoder,
        pipeline.settings.model_copy(update={"abstain_threshold": None}),
    )
    report = score_pipeline(c, default)
    floors = json.loads(FLOORS.read_text())["seeds"]
    assert check_report(report, floors) == []
    for split in ("dev", "test"):
        assert report["splits"][split]["overall"]["citation_validity"] == 1.0
    assert len(report["questions"]) == len(load(c.questions))


@pytest.mark.integration
def test_harness_meets_the_fiction_floors(
    settings: Settings, embedder: Embedder, seeds_dir: Path
) -> None:
    """A corpus no code knows, over a throwaway index built for it."""
    c = corpus("fiction", seeds_dir)
    default = settings.model_copy(update={"abstain_threshold": None})
    with corpus_pipeline(c, default, embedder) as pipeline:
        report = score_pipeline(c, pipeline)
    floors = json.loads(FLOORS.read_text())["fiction"]
    assert check_report(report, floors) == []
    assert report["splits"]["test"]["overall"]["citation_validity"] == 1.0


def test_export_feedback_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from eval.__main__ import main
    from service.config import get_settings
    from service.feedback import FeedbackStore

    db = tmp_path / "fb.sqlite3"
    store = FeedbackStore(db)
    store.record(user_id="U1", vote="down", question="q1", answer="a", citations=[])
    store.record(user_id="U1", vote="up", question="q2", answer="b", citations=[])
    monkeypatch.setenv("RAG_FEEDBACK_DB", str(db))
    get_settings.cache_clear()
    try:
        assert main(["--export-feedback", str(tmp_path / "out.jsonl")]) == 0
    finally:
        get_settings.cache_clear()
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert [json.loads(x)["question"] for x in lines] == ["q1"]
