"""The question set is valid, the metrics match SQuAD v2.0, and the harness meets its floors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.__main__ import FLOORS, check_floors
from eval.dataset import TYPES, load, problems
from eval.metrics import best_em, best_f1, citation_valid, exact_match, f1, normalize_answer
from eval.report import build_report
from eval.runner import in_process
from service.pipeline import Pipeline


def test_question_set_is_valid(seeds_dir: Path) -> None:
    items = load()
    assert problems(items, seeds_dir) == []
    assert len(items) >= 100
    counts = {t: sum(1 for i in items if i.type == t) for t in TYPES}
    assert counts["unanswerable"] >= 20
    assert min(counts.values()) >= 10


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
def test_harness_meets_its_floors(pipeline: Pipeline, seeds_dir: Path) -> None:
    items = load()
    run = in_process(pipeline)
    results = [run(it, 5, pipeline.settings.abstain_threshold) for it in items]
    report = build_report(results, seeds_dir, pipeline.settings.abstain_threshold)
    floors = json.loads(FLOORS.read_text())
    assert check_floors(report["overall"], floors) == []
    assert report["overall"]["citation_validity"] == 1.0
    assert len(report["questions"]) == len(items)


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
