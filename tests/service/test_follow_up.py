"""A follow-up asked with an earlier question: retrieved with both, read for the follow-up."""

from __future__ import annotations

import asyncio

import pytest

from service.answering import Answering
from service.config import Settings
from service.observe import Metrics
from service.pipeline import Answer, Pipeline

pytestmark = pytest.mark.integration
EARLIER = "How much is Microsoft investing in Japan?"
FOLLOW_UP = "and when was it announced?"  # alone, it says nothing of Microsoft or Japan


def _verbatim(pipeline: Pipeline, answer: Answer) -> bool:
    assert answer.text is not None and answer.answer_start is not None
    doc = pipeline.store.documents[answer.citations[0].doc_id]
    return doc.text[answer.answer_start : answer.answer_start + len(answer.text)] == answer.text


def test_a_follow_up_that_abstains_alone_is_answered_with_the_earlier_question(
    pipeline: Pipeline,
) -> None:
    assert pipeline.ask(FOLLOW_UP).text is None
    got = pipeline.ask(FOLLOW_UP, context=EARLIER)
    assert (got.text, got.context, got.question) == ("Wednesday, April 10", EARLIER, FOLLOW_UP)
    assert got.confidence >= pipeline.threshold and _verbatim(pipeline, got)
    async_ = asyncio.run(pipeline.ask_async(FOLLOW_UP, context=EARLIER))
    assert (async_.text, async_.context, async_.citations) == (got.text, got.context, got.citations)


def test_a_follow_up_answered_alone_ignores_the_earlier_question(pipeline: Pipeline) -> None:
    question = "and how many people will be trained?"
    alone = pipeline.ask(question)
    assert alone.text is not None
    got = pipeline.ask(question, context=EARLIER)
    assert (got.text, got.citations, got.context) == (alone.text, alone.citations, None)


def test_a_follow_up_the_context_does_not_help_still_abstains(pipeline: Pipeline) -> None:
    got = pipeline.ask("Who won the 2022 World Cup?", context=EARLIER)
    assert got.text is None and got.context is None


def test_answering_passes_the_earlier_question_on_without_batching(
    pipeline: Pipeline, settings: Settings
) -> None:
    plain = Pipeline(
        pipeline.store, pipeline.encoder, settings.model_copy(update={"batching": False})
    )
    answering = Answering(max_in_flight=2, timeout_s=30, threads=1, metrics=Metrics())
    got = asyncio.run(answering.ask(plain, FOLLOW_UP, context=EARLIER))
    assert (got.text, got.context) == ("Wednesday, April 10", EARLIER)
