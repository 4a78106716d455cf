from __future__ import annotations

import json
from dataclasses import replace

import pytest

from service.pipeline import Answer, Citation
from service.slack_blocks import (
    BUTTON_VALUE_LIMIT,
    SECTION_LIMIT,
    Vote,
    answer_message,
    confidence_words,
    cut,
    escape,
    feedback_value,
    read_feedback_value,
    unescape,
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


def test_entities_come_in_as_typed_and_go_out_escaped_once() -> None:
    wire = "R&amp;D &lt;b&gt; &amp;amp;"  # Slack's form of what was typed: R&D <b> &amp;
    assert unescape(wire) == "R&D <b> &amp;"
    assert escape(unescape(wire)) == wire


def test_answers_quotes_titles_and_fallback_are_escaped_once() -> None:
    a = _answer("R&D <lab>", quote="Spending on R&D > 5%.")
    text, blocks = answer_message(a, share_button=False)
    assert text == "R&amp;D &lt;lab&gt;"
    assert blocks[0]["text"]["text"] == "*R&amp;D &lt;lab&gt;*"
    assert blocks[1]["text"]["text"] == ">Spending on R&amp;D &gt; 5%."
    assert "&amp;amp;" not in json.dumps(blocks) and "&amp;lt;" not in json.dumps(blocks)


def test_an_abstention_quotes_every_line_of_the_question() -> None:
    _, blocks = answer_message(_answer(None), share_button=False)
    assert blocks[0]["text"]["text"].endswith("\n>q?")
    a = replace(_answer(None), question="first & line\nsecond <line>")
    _, blocks = answer_message(a, share_button=False)
    assert blocks[0]["text"]["text"].endswith("\n>first &amp; line\n>second &lt;line&gt;")


def test_a_cut_never_splits_an_entity() -> None:
    for tail in ("&", "&a", "&am", "&amp", "&l", "&lt", "&g", "&gt"):
        assert cut("x" * 10 + tail + "y" * 10, 10 + len(tail) + 1) == "x" * 10 + "…"
    assert cut("x" * 10 + "&amp;" + "y" * 10, 16) == "x" * 10 + "&amp;…"


def test_an_answer_found_with_the_threads_earlier_question_says_which() -> None:
    a = replace(_answer("April 10"), context="How much is R&D <spend>?")
    _, blocks = answer_message(a, share_button=False)
    note = (
        "Answered together with the thread's earlier question: “How much is R&amp;D &lt;spend&gt;?”"
    )
    assert {"type": "mrkdwn", "text": note} in [e for b in blocks for e in b.get("elements", [])]
    _, alone = answer_message(_answer("April 10"), share_button=False)
    assert "earlier question" not in json.dumps(alone)


def test_a_feedback_value_reads_back_as_written() -> None:
    vote = read_feedback_value(feedback_value(_answer("US$2.9 billion")))
    assert vote == Vote("q?", "US$2.9 billion", (("d1", 0, 2),))
    assert read_feedback_value(feedback_value(_answer(None))) == Vote("q?", None, ())


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "not json",
        "[]",
        '"q"',
        "{}",
        '{"q": "   ", "a": null, "c": []}',
        '{"q": 5, "a": null, "c": []}',
        '{"q": "q?", "a": 5, "c": []}',
        '{"q": "q?", "a": null}',
        '{"q": "q?", "a": null, "c": {}}',
        '{"q": "q?", "a": null, "c": [["d1", 0]]}',
        '{"q": "q?", "a": null, "c": [["d1", "0", 2]]}',
        '{"q": "q?", "a": null, "c": [["d1", true, 2]]}',
        '{"q": "q?", "a": null, "c": [["d1", 5, 2]]}',
        '{"q": "q?", "a": null, "c": [["", 0, 2]]}',
        '{"q": "' + "x" * BUTTON_VALUE_LIMIT + '", "a": null, "c": []}',
    ],
)
def test_anything_else_in_a_feedback_value_reads_as_nothing(value: object) -> None:
    assert read_feedback_value(value) is None
