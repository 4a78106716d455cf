from __future__ import annotations

import pytest

from index.sentences import line_spans, segment_text, split_sentences


def _texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_splits_on_sentence_ends_and_keeps_offsets() -> None:
    text = "Microsoft will invest. It will also train 3 million people! Why? Because."
    spans = split_sentences(text)
    assert [s.text for s in spans] == [
        "Microsoft will invest.",
        "It will also train 3 million people!",
        "Why?",
        "Because.",
    ]
    assert all(text[s.start : s.end] == s.text for s in spans)


@pytest.mark.parametrize(
    "text",
    [
        "Washington D.C., April 9 ET, 2024 – Today, Microsoft announced it.",
        "Kishida's visit to the U.S. Capitol was brief.",
        "Mr. Smith met Dr. Jones.",
        "It costs US$2.9 billion in total.",
    ],
)
def test_abbreviations_and_decimals_do_not_split(text: str) -> None:
    assert _texts(text) == [text]


def test_closing_quote_stays_with_its_sentence() -> None:
    text = "He said “it is critical.” Then he left."
    assert _texts(text) == ["He said “it is critical.”", "Then he left."]


def test_bullets_and_whitespace_are_trimmed() -> None:
    text = "  • Microsoft will invest $2.9 billion.  "
    (span,) = split_sentences(text)
    assert span.text == "Microsoft will invest $2.9 billion."
    assert text[span.start : span.end] == span.text


def test_line_spans_cover_every_line_without_breaks() -> None:
    text = "a\r\nbb\n\nccc"
    assert [text[s:e] for s, e in line_spans(text)] == ["a", "bb", "", "ccc"]


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_empty_text_has_no_segments(text: str) -> None:
    assert segment_text(text) == ()
