"""Questions about an article itself, answered from its byline or date line."""

from __future__ import annotations

import pytest

from service.about import ArticleNames, about_article
from service.pipeline import Pipeline
from tests.conftest import SEEDS

pytestmark = pytest.mark.integration
FILES = {p.stem: p.read_bytes().decode("utf-8") for p in SEEDS.glob("*.txt")}


@pytest.mark.parametrize(
    ("question", "doc_id", "answer", "line"),
    [
        (
            "Who wrote the iTnews Asia article?",
            "002_bc3d2b23fcc61d83",
            "Abbinaya Kuzhanthaivel",
            "By Abbinaya Kuzhanthaivel on Apr 11, 2024 8:57AM",
        ),
        (
            "When was the DMR News article published?",
            "003_8dc220ab41ea8a82",
            "Apr 28, 2024",
            "Apr 28, 2024",
        ),
        (
            "who is the author of the article about Microsoft committing $2.9 billion to support the "
            "Japanese AI sector",
            "004_851ebe4eaf63c61e",
            "James Morales",
            "James Morales",
        ),
        # named by its author; the site's name line is the evidence
        (
            "Which outlet carried Abbinaya Kuzhanthaivel's report?",
            "002_bc3d2b23fcc61d83",
            "iTnews Asia",
            "iTnews Asia",
        ),
        (
            "When did DMR News run its piece on the Japan deal?",
            "003_8dc220ab41ea8a82",
            "Apr 28, 2024",
            "Apr 28, 2024",
        ),
    ],
)
def test_byline_and_date_answers_cite_the_line(
    pipeline: Pipeline, question: str, doc_id: str, answer: str, line: str
) -> None:
    a = pipeline.ask(question)
    assert a.text == answer
    c = a.citations[0]
    assert (c.doc_id, c.quote) == (doc_id, line)
    assert FILES[doc_id][c.start : c.end] == line
    assert FILES[doc_id][a.answer_start : a.answer_start + len(answer)] == answer


def test_unnamed_or_unstated_articles_are_not_guessed(pipeline: Pipeline) -> None:
    names = ArticleNames(pipeline.store)
    assert about_article("Who wrote the article?", names) is None
    # 001 states no byline: nothing to cite
    assert (
        about_article(
            "Who wrote the article 'Microsoft make biggest-ever investment in Japan'?",
            names,
        )
        is None
    )
    assert about_article("How much is Microsoft investing?", names) is None
