"""The reader on small inline articles (fast fake encoder; the real one runs in eval/api tests)."""

from __future__ import annotations

import pytest

from index.build import build_index
from index.text import STOPWORDS, words
from service.config import Settings
from service.pipeline import Pipeline
from tests.fakes import HashingEncoder

ARTICLES = {
    "a": "Harbour bridge approved\n\nThe city council approved a harbour bridge that will cost "
    "$40 million. Construction starts in March 2025 and will take three years. "
    "Mayor Jane Roe said the bridge would cut commuting times.\n",
    "b": "Bridge news\n\nCouncillors backed the $40 million harbour bridge on Tuesday. "
    "The engineering firm Acme Structures will build it.\n",
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    root = tmp_path_factory.mktemp("read")
    seeds = root / "seeds"
    seeds.mkdir()
    for name, text in ARTICLES.items():
        (seeds / f"{name}.txt").write_text(text, encoding="utf-8")
    enc = HashingEncoder()
    build_index(seeds, root / "index", enc)
    # the hashing encoder gives lower cosines than the real model: a lower bar to answer
    settings = Settings(index_dir=root / "index", abstain_threshold=0.08, cite_threshold=0.08)
    return Pipeline.from_settings(settings, encoder=enc)


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("How much will the harbour bridge cost?", "$40 million"),
        ("who is the mayor", "Jane Roe"),
        ("When does construction of the bridge start?", "March 2025"),
        ("How long will construction of the bridge take?", "three years"),
    ],
)
def test_answers_the_short_span_asked_for(pipeline: Pipeline, question: str, answer: str) -> None:
    got = pipeline.ask(question)
    assert got.text is not None and answer in got.text
    first = got.citations[0]
    assert got.text in first.quote
    assert pipeline.store.documents[first.doc_id].text[first.start : first.end] == first.quote


def test_cites_each_article_that_states_the_answer_once(pipeline: Pipeline) -> None:
    got = pipeline.ask("How much will the harbour bridge cost?")
    assert sorted(c.doc_id for c in got.citations) == ["a", "b"]


def test_abstains_on_what_the_articles_do_not_say(pipeline: Pipeline) -> None:
    got = pipeline.ask("What is the population of Paris?")
    assert got.text is None and got.citations == ()
    assert got.passages  # the closest passages are still listed


def test_never_answers_with_the_question_itself(pipeline: Pipeline) -> None:
    question = "Who said the bridge would cut commuting times, Jane Roe?"
    for threshold in (0.0, None):  # not even the best guess below the bar
        got = pipeline.ask(question, abstain_threshold=threshold)
        if got.text is not None:
            content = {w for w in words(got.text) if w not in STOPWORDS}
            assert content and not content <= set(words(question))
