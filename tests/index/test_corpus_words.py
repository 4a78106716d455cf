"""index.corpus_words: the corpus-wide word statistics stored with the index."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from index.corpus_words import FILE, CorpusWords, letter_counts

SENTENCES = ["The office opened in Tokyo.", "Opening the iPhone store, Apple said so.", ""]
DOCUMENTS = ["Title: x\n\nThe office opened; THE office.", "Apple's iPhone 15"]


def test_lowercase_words_are_those_written_in_lower_case_somewhere() -> None:
    words = CorpusWords.build(SENTENCES, DOCUMENTS)
    # "the" is written in lower case once; "opening", "tokyo", "apple" never are
    assert words.lowercase == {"office", "opened", "in", "the", "iphone", "store", "said", "so"}
    # the definition the reader relies on, spelled another way
    token = re.compile(r"[A-Za-z0-9]+")
    want = {w.lower() for s in SENTENCES for w in token.findall(s) if w[0].islower()}
    assert words.lowercase == want


def test_counts_are_case_folded_letter_runs_of_the_whole_files() -> None:
    words = CorpusWords.build(SENTENCES, DOCUMENTS)
    assert words.counts == letter_counts(DOCUMENTS)
    assert words.counts["the"] == 2 and words.counts["office"] == 2 and words.counts["s"] == 1
    assert words.counts["title"] == 1  # the whole file, boilerplate too
    assert "15" not in words.counts and "The" not in words.counts


def test_round_trip(tmp_path: Path) -> None:
    words = CorpusWords.build(SENTENCES, DOCUMENTS)
    (tmp_path / FILE).write_bytes(words.payload())
    back = CorpusWords.read(tmp_path / FILE)
    assert back.lowercase == words.lowercase and dict(back.counts) == dict(words.counts)


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '{"lowercase": ["a"]}',
        '{"lowercase": "a", "counts": {}}',
        '{"lowercase": [1], "counts": {}}',
        '{"lowercase": [], "counts": {"a": 0}}',
        '{"lowercase": [], "counts": {"a": "1"}}',
        '{"lowercase": [], "counts": {"a": true}}',
    ],
)
def test_refuses_files_of_another_shape(tmp_path: Path, body: str) -> None:
    (tmp_path / FILE).write_text(body)
    with pytest.raises(ValueError, match=FILE):
        CorpusWords.read(tmp_path / FILE)
