from __future__ import annotations

import json

from service.pipeline import Answer, Citation
from service.slack_blocks import (
    BUTTON_VALUE_LIMIT,
    SECTION_LIMIT,
    answer_message,
    confidence_words,
    cut,
    feedback_value,
)


def _answer(text: str | None, quote: str = "Q.", n: int = 1) -> Answer:
    c = Citation("d1", "Title <b>", "Pub", None, "2024-04-10", quote, 0, len(quote), 0.9)
    return Answer("q?", text, 0 if text else None, 0.8, (c,) * n if text else (), (), (c,), {})


def test_cut_marks_what_it_cuts() -> None:
    assert cut("abc", 5) == "abc"
    assert cut("abcdefgh", 5) == "abcd…" and len(cut("x" * 9000, 3000)) == 3000


def test_long_quotes_and_many_sources_fit_slacks_limits() -> None:
    text, blocks = answer_message(_answer("a" * 5000, quote="q" * 9000, n=200), share_button=True)
    for b in blocks:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= SECTION_LIMIT
        if b["type"] == "actions":
            assert all(len(e["value"]) <= BUTTON_VALUE_LIMIT for e in b["elements"])
    assert len(text) <= 4000


def test_markup_in_titles_is_escaped() -> None:
    _, blocks = answer_message(_answer("x"), share_button=False)
    assert "Title &lt;b&gt;" in json.dumps(blocks)


def test_feedback_value_round_trips() -> None:
    v = json.loads(feedback_value(_answer("US$2.9 billion")))
    assert v == {"q": "q?", "a": "US$2.9 billion", "c": [["d1", 0, 2]]}


def test_confidence_in_words() -> None:
    assert [confidence_words(c) for c in (0.9, 0.5, 0.1)] == [
        "high confidence",
        "medium confidence",
        "low confidence",
    ]
