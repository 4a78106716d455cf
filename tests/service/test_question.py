from __future__ import annotations

import pytest

from index.analysis import parse_text
from service.candidates import candidates
from service.question import Kind, analyse, classify, restore_case


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("how much is microsoft investing in japan", Kind.MONEY),
        ("How many workers will get AI training?", Kind.COUNT),
        ("over how many years will the money be spent", Kind.DURATION),
        ("How long will the grants run?", Kind.DURATION),
        ("When did Microsoft announce it?", Kind.DATE),
        ("what year did microsoft set roots in japan", Kind.DATE),
        ("Who is the president of Microsoft Japan?", Kind.PERSON),
        ("Which university receives grants?", Kind.ORG),
        ("Where will the lab open?", Kind.PLACE),
        ("Which city hosts the new lab?", Kind.PLACE),
        ("What is the name of the AI coding assistant?", Kind.NAME),
        ("Why is Microsoft investing?", Kind.REASON),
        ("What will the lab focus on?", Kind.OTHER),
    ],
)
def test_classify(question: str, kind: Kind) -> None:
    assert classify(question) == kind


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Which head of government was visiting when the deal was unveiled?", Kind.PERSON),
        ("Which politician leads the city?", Kind.PERSON),
        ("What's the name of the coding assistant?", Kind.NAME),
        ("what job does Ann Lee hold", Kind.ROLE),
        ("What is the spending meant to achieve?", Kind.REASON),
        ("whats the starting pay for operators", Kind.MONEY),
        ("what bank is fronting the loan", Kind.ORG),
    ],
)
def test_classify_reads_from_the_question_word(question: str, kind: Kind) -> None:
    assert classify(question) == kind


def test_a_chat_question_gets_the_articles_capitals_and_its_focus() -> None:
    cased = {"zentara": "Zentara", "lyon": "Lyon"}
    assert restore_case("who is the ceo of zentara, in lyon?", cased) == (
        "who is the ceo of Zentara, in Lyon?"
    )
    q = analyse("which ministry runs the fund", cased)
    assert q.focus_lemma == "ministry" and "ORG" in q.labels
    assert analyse("who is the ceo of zentara", cased).focus_lemma == "ceo"


def test_analyse_keeps_names_and_numbers_as_entities() -> None:
    q = analyse("Who won the 2022 World Cup?")
    assert q.entities == ("2022", "world", "cup")
    assert "won" in q.terms


def _spans(
    text: str, source: str | None = None, label: str | None = None, pattern: str | None = None
) -> list[str]:
    got = candidates(parse_text(text))
    return [
        text[c.start : c.end]
        for c in got
        if (source is None or source in c.sources)
        and (label is None or c.label == label)
        and (pattern is None or c.pattern == pattern)
    ]


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        (
            "MONEY",
            "Microsoft will invest US$2.9 billion (S$3.9 billion) in Japan.",
            ["US$2.9 billion", "S$3.9 billion"],
        ),
        ("MONEY", "It will invest US\\$2.9 billion over two years.", ["US\\$2.9 billion"]),
        ("MONEY", "AWS expects to have spent nearly $18 billion.", ["nearly $18 billion"]),
        (
            "MONEY",
            "The deal is worth €1.24bn and 2.3 billion kroner.",
            ["€1.24bn", "2.3 billion kroner"],
        ),
        ("PERCENT", "Shares rose 4.5% and then 38 per cent.", ["4.5%", "38 per cent"]),
        ("DATE", "On Wednesday, April 10, Microsoft announced it.", ["Wednesday, April 10"]),
        ("DATE", "Work starts on 3 March 2026 and ends in 2027.", ["3 March 2026", "2027"]),
        ("DURATION", "It will invest over the next two years.", ["over the next two years"]),
        ("DURATION", "It is its 46-year history.", ["46-year"]),
    ],
)
def test_typed_patterns(pattern: str, text: str, expected: list[str]) -> None:
    assert _spans(text, pattern=pattern) == expected


def test_candidates_come_from_the_parse() -> None:
    text = "Meanwhile, Halvorsen Pump, Ostrava Metals and Kettle & Sons are funding it."
    got = _spans(text)
    # the list as written, and its members
    assert "Halvorsen Pump, Ostrava Metals and Kettle & Sons" in got
    assert "Halvorsen Pump" in got and "Ostrava Metals" in got
    text = (
        "The plant was designed by Dr. Amara Okonkwo-Reyes, chief engineer of the port authority."
    )
    got = _spans(text)
    assert "chief engineer of the port authority" in got  # apposition and its of-phrase
    assert "Amara Okonkwo-Reyes" in _spans(text, label="PERSON")
    text = "The council raised the fee to cover the cost of repairs because the bridge is old."
    got = _spans(text, "clause")
    assert "to cover the cost of repairs" in got
    assert "because the bridge is old" in got


def test_every_candidate_is_a_slice_of_its_sentence() -> None:
    text = "“We were too small to fly alone,” said Tobias Krell-Anand, Marrowgate's chief."
    for c in candidates(parse_text(text)):
        piece = text[c.start : c.end]
        assert piece and piece == piece.strip() and 0 <= c.start < c.end <= len(text)


@pytest.mark.parametrize(
    ("question", "plural"),
    [
        ("Which countries' activities concern Smith?", True),
        ("which ministry runs geniac", False),
        ("Which universities will share the grants?", True),
    ],
)
def test_plural_focus(question: str, plural: bool) -> None:
    assert analyse(question).plural is plural


def test_initialisms_match_their_plain_form() -> None:
    from index.text import words

    assert words("the U.S. and US firms in D.C., 2.9 billion") == [
        "the",
        "us",
        "and",
        "us",
        "firms",
        "in",
        "dc",
        "2.9",
        "billion",
    ]
