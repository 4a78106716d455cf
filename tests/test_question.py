from __future__ import annotations

import pytest

from service.question import Kind, analyse, classify
from service.spans import candidates


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


def test_analyse_keeps_names_and_numbers_as_entities() -> None:
    q = analyse("Who won the 2022 World Cup?")
    assert q.entities == ("2022", "world", "cup")
    assert "won" in q.terms


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (
            Kind.MONEY,
            "Microsoft will invest US$2.9 billion (S$3.9 billion) in Japan.",
            ["US$2.9 billion", "S$3.9 billion"],
        ),
        (Kind.MONEY, "It will invest US\\$2.9 billion over two years.", ["US\\$2.9 billion"]),
        (Kind.MONEY, "AWS expects to have spent nearly $18 billion.", ["nearly $18 billion"]),
        (Kind.PERCENT, "Shares rose 4.5% and then 3 percent.", ["4.5%", "3 percent"]),
        (
            Kind.COUNT,
            "It will train more than 3 million people in 2 cities.",
            ["more than 3 million", "2"],
        ),
        (Kind.DATE, "On Wednesday, April 10, Microsoft announced it.", ["Wednesday, April 10"]),
        (Kind.DATE, "By 2027, AWS expects growth.", ["2027"]),
        (Kind.DATE, "Work starts in March 2025.", ["March 2025"]),
        (Kind.DURATION, "It will invest over the next two years.", ["over the next two years"]),
        (Kind.DURATION, "It is its 46-year history.", ["46-year"]),
        (
            Kind.PERSON,
            "Microsoft President Brad Smith met Fumio Kishida.",
            ["Brad Smith", "Fumio Kishida"],
        ),
        (
            Kind.ORG,
            "Grants go to The University of Tokyo and Keio University.",
            [
                "The University of Tokyo",
                "The University of Tokyo and Keio University",
                "Keio University",
            ],
        ),
        (
            Kind.PLACE,
            "It operates one in West Osaka and one in East Tokyo.",
            ["West Osaka", "East Tokyo"],
        ),
    ],
)
def test_candidates(kind: Kind, text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in candidates(kind, text)] == expected


def test_open_kinds_have_no_typed_candidates() -> None:
    assert candidates(Kind.OTHER, "Anything at all, $5.") == []


def test_currency_prefix_needs_a_word_boundary() -> None:
    text = "Microsoft’s $2.9 Billion plan and S$3.9 billion in Singapore dollars."
    assert [text[s:e] for s, e in candidates(Kind.MONEY, text)] == ["$2.9 Billion", "S$3.9 billion"]


def test_a_list_whose_tail_cannot_stand_alone_is_one_name() -> None:
    text = "It is led by Japan's Ministry of Economy, Trade and Industry."
    assert [text[s:e] for s, e in candidates(Kind.ORG, text)] == [
        "Ministry of Economy, Trade and Industry"  # the owner "Japan's" is not part of it
    ]
    text = "Meanwhile, AWS, Microsoft, Arm and Nvidia are funding it."
    got = [text[s:e] for s, e in candidates(Kind.ORG, text)]
    assert got == ["AWS", "AWS, Microsoft, Arm and Nvidia", "Microsoft", "Arm", "Nvidia"]


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


def test_open_spans_cut_at_question_words_and_conjunctions() -> None:
    from index.text import terms, words
    from service.spans import open_spans

    q = "What problem are the investments meant to help Japan tackle?"
    said = frozenset(words(q)) | frozenset(terms(q))
    text = "These investments aim to help Japan tackle deflation and stimulate the economy."
    got = [text[s:e] for s, e in open_spans(text, said)]
    assert got == ["aim", "deflation and stimulate", "deflation", "stimulate", "economy"]


def test_quoted_phrases_are_open_candidates() -> None:
    from service.spans import open_spans

    text = "Microsoft backed the “Hiroshima AI Process” to set rules."
    got = [text[s:e] for s, e in open_spans(text, frozenset({"microsoft"}))]
    assert got[0] == "Hiroshima AI Process"


def test_owner_is_not_part_of_a_name_and_last_year_is_no_duration() -> None:
    text = "These will be augmented by Microsoft’s AI coding assistant, GitHub Copilot."
    assert [text[s:e] for s, e in candidates(Kind.NAME, text)] == ["GitHub Copilot"]
    text = "Microsoft will collaborate with Japan's Cabinet Secretariat on security."
    assert "Cabinet Secretariat" in [text[s:e] for s, e in candidates(Kind.ORG, text)]
    text = "It will invest over the next two years, unlike last year."
    assert [text[s:e] for s, e in candidates(Kind.DURATION, text)] == ["over the next two years"]


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
