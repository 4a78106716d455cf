"""The speller mends chat-typed questions against the articles' own words, conservatively."""

from __future__ import annotations

from service.spelling import Speller

ARTICLES = [
    "Microsoft will invest in data centers across Japan. The investment concerns AI.",
    "MICROSOFT said its Japanese data centers would grow; Microsoft's plan.",
]


def test_counts_are_case_folded_words_of_the_articles() -> None:
    s = Speller.from_texts(ARTICLES)
    assert s.counts["microsoft"] == 3 and s.counts["japan"] == 1 and s.counts["s"] == 1
    assert "Microsoft" not in s.counts


def test_one_edit_typos_and_run_together_words_are_repaired() -> None:
    s = Speller.from_texts(ARTICLES)
    assert s.mend("how much will microsft invest") == "how much will microsoft invest"
    assert s.mend("how many datacenters") == "how many data centers"


def test_known_words_inflections_and_short_words_are_left_alone() -> None:
    s = Speller.from_texts(ARTICLES)
    for q in ("what concerns Japan", "what concern is there", "who is the ceo", "Japan!"):
        assert s.mend(q) == q


def test_english_words_are_never_mended_into_article_words() -> None:
    from index.analysis import english_words

    s = Speller({"season": 4, "microsoft": 9, "data": 3, "centers": 2}, english_words())
    # 'reason' is one edit from 'season', which the articles use; it is English all the same
    assert s.mend("what is the reason for it") == "what is the reason for it"
    assert s.mend("microsft datacenters") == "microsoft data centers"
