from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import records
from index.chunk import (
    ChunkParams,
    Runs,
    TokenCounter,
    chunk_segment,
    fit_sentences,
    pack,
)
from index.corpus import read_corpus
from index.embed import tokenizer_file
from index.sentences import segment_text
from index.types import Span
from tests.conftest import SEEDS

PARAMS = ChunkParams(max_tokens=40, overlap_tokens=8)


@pytest.fixture(scope="module")
def counter() -> TokenCounter:
    return TokenCounter(PARAMS, tokenizer_file())


def chunk_text(text: str, counter: TokenCounter) -> list[tuple[int, int]]:
    out = []
    for segment in segment_text(text):
        spans = fit_sentences(text, segment, counter)
        out += [(spans[a].start, spans[b].end) for a, b in pack(text, spans, counter)]
    return out


_words = st.one_of(
    st.text(min_size=1, max_size=12),
    st.sampled_from(
        [
            "Microsoft",
            "US$2.9",
            "billion.",
            "U.S.",
            "Japan’s",
            "AI",
            "🙂",
            "\n\n",
            "—",
            "naïve",
            "東京",
            "x" * 300,
            "1,000,000",
            "?",
            "Dr.",
            "“quote.”",
        ]
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_words, max_size=120).map(" ".join))
def test_chunks_are_verbatim_and_within_limits(counter: TokenCounter, text: str) -> None:
    chunks = chunk_text(text, counter)
    covered = set()
    for start, end in chunks:
        piece = text[start:end]
        assert piece == text[start:end] and piece.strip() == piece and piece
        assert counter.tokens(piece) <= PARAMS.max_tokens
        assert counter.wordpieces(piece) <= PARAMS.max_wordpieces
        covered.update(range(start, end))
    # every non-space character of the text lands in some chunk
    for i, ch in enumerate(text):
        if not ch.isspace() and ch not in "•·▪◦‣*-–—>":
            assert i in covered or not text[i:].strip(" •·▪◦‣*-–—>"), (i, text)


def test_consecutive_chunks_overlap_by_whole_sentences() -> None:
    params = ChunkParams(max_tokens=60, overlap_tokens=16)
    counter = TokenCounter(params, tokenizer_file())
    text = " ".join(f"Sentence {i} is about Japan." for i in range(30))
    chunks = chunk_text(text, counter)
    assert len(chunks) > 3
    for (s1, e1), (s2, e2) in pairwise(chunks):
        assert s1 < s2 < e1 < e2  # progress, with overlap
        assert text[s2 - 1] == " " and text[e1 - 1] == "."  # whole sentences
        assert counter.tokens(text[s2:e1]) <= params.overlap_tokens


def test_a_sentence_longer_than_the_budget_is_cut_at_spaces(counter: TokenCounter) -> None:
    text = " ".join(["word"] * 500) + "."
    chunks = chunk_text(text, counter)
    assert len(chunks) > 5
    for s, e in chunks:
        assert text[s:e].replace(" ", "").replace("word", "").strip(".") == ""


def test_wordpiece_cap_holds_where_tiktoken_is_cheap() -> None:
    # Long runs of CJK cost few tiktoken tokens per char but many word pieces, or the reverse:
    # either way both limits hold.
    params = ChunkParams(max_tokens=400, overlap_tokens=0, max_wordpieces=64)
    counter = TokenCounter(params, tokenizer_file())
    text = "東京 " * 300
    for s, e in chunk_text(text, counter):
        assert counter.wordpieces(text[s:e]) <= 64


@pytest.mark.parametrize(
    "kwargs",
    [{"max_tokens": 4}, {"overlap_tokens": 200}, {"overlap_tokens": -1}, {"max_wordpieces": 2}],
)
def test_bad_params_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        ChunkParams(**kwargs)


def reference_pack(text: str, spans: list, counter: TokenCounter) -> list[tuple[int, int]]:
    """The packing rule written plainly: every candidate chunk tokenized whole."""
    groups, first, n = [], 0, len(spans)
    while first < n:
        last = first
        while last + 1 < n and counter.fits(text[spans[first].start : spans[last + 1].end]):
            last += 1
        groups.append((first, last))
        if last == n - 1:
            break
        nxt = last + 1
        while (
            nxt - 1 > first
            and counter.tokens(text[spans[nxt - 1].start : spans[last].end])
            <= counter.params.overlap_tokens
        ):
            nxt -= 1
        first = nxt
    return groups


_joins = st.sampled_from([" ", "\n\n", "", "\u00a0", "\u0301", "\x00", "\u200b", "\t", "-", "’ "])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_words, _joins), min_size=1, max_size=40))
def test_run_counts_are_the_tokenizers_own(pairs: list[tuple[str, str]]) -> None:
    # Sentences cut anywhere, joined by gaps of every kind (accents and control characters
    # that normalisation removes, no gap at all): a run's summed count is the exact count.
    counter = TokenCounter(ChunkParams(max_tokens=60, overlap_tokens=8), tokenizer_file())
    text, spans = "", []
    for word, join in pairs:
        if word.strip():
            spans.append(Span(len(text), len(text) + len(word), word))
        text += word + join
    if not spans:
        return
    runs = Runs(text, spans, counter, counter.wordpieces_each([s.text for s in spans]))
    for first in range(len(spans)):
        for last in range(first, min(len(spans), first + 6)):
            piece = text[spans[first].start : spans[last].end]
            assert runs.wordpieces(first, last) == counter.wordpieces(piece), (first, last, piece)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_words, max_size=150).map(" ".join))
def test_packing_matches_tokenizing_every_candidate(text: str) -> None:
    counter = TokenCounter(
        ChunkParams(max_tokens=40, overlap_tokens=8, max_wordpieces=48), tokenizer_file()
    )
    for segment in segment_text(text):
        spans, groups = chunk_segment(text, segment, counter)
        assert spans == fit_sentences(text, segment, counter)
        assert groups == reference_pack(text, spans, counter)


def test_chunking_on_worker_processes_gives_the_same_records(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    docs = read_corpus(SEEDS)
    counter = TokenCounter(ChunkParams(), tokenizer_file())
    monkeypatch.setattr(records, "PARALLEL_MIN_DOCS", 1)  # the seeds are five articles
    alone = records.build_records(docs, counter, workers=1)
    assert alone[1]
    assert records.build_records(docs, counter, workers=2) == alone
