"""Properties of every answer, whatever the question (hypothesis, in-process pipeline)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.pipeline import Pipeline
from tests.conftest import SEEDS

pytestmark = pytest.mark.integration
FILES = {p.stem: p.read_bytes().decode("utf-8") for p in SEEDS.glob("*.txt")}
VOCAB = sorted({w.strip(".,:;()“”\"'") for t in FILES.values() for w in t.split()} - {""})
WH = ["how much", "how many", "who", "when", "where", "which company", "what", "why"]

questions = st.one_of(
    st.builds(
        lambda wh, ws: f"{wh} {' '.join(ws)}?",
        st.sampled_from(WH),
        st.lists(st.sampled_from(VOCAB), min_size=1, max_size=8),
    ),
    st.text(min_size=1, max_size=200).filter(lambda s: s.strip()),
)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(question=questions, top_k=st.integers(min_value=1, max_value=20))
def test_every_answer_is_verifiable(pipeline: Pipeline, question: str, top_k: int) -> None:
    a = pipeline.ask(question, top_k)
    assert len(a.passages) <= top_k
    scores = [p.score for p in a.passages]
    assert scores == sorted(scores, reverse=True)
    for p in a.passages:
        assert FILES[p.doc_id][p.start : p.end] == p.text
    for c in a.citations:
        assert FILES[c.doc_id][c.start : c.end] == c.quote
    assert len({c.doc_id for c in a.citations}) == len(a.citations)
    assert 0.0 <= a.confidence <= 1.0
    if a.text is None:
        assert a.citations == () and a.answer_start is None
    else:
        first = a.citations[0]
        assert a.text in first.quote
        assert FILES[first.doc_id][a.answer_start : a.answer_start + len(a.text)] == a.text
