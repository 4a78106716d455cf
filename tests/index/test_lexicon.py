"""Words are tokenized once, when the index is built; everything that reads them sees what
tokenizing the text would give."""

from __future__ import annotations

import math
import mmap
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.bm25 import Bm25
from index.lexicon import OFFSETS, Lexicon
from index.store import SENTENCE_BM25, IndexStore
from index.text import _INITIALISM, _POSSESSIVE, _WORD, CHAT_WORDS, terms, words
from service.lexicon import SentenceWords, idf_table, prefixes
from service.pipeline import Pipeline

QUESTIONS = ["How much is Microsoft investing in Japan?", "who runs microsoft japan", "zzz"]


@pytest.fixture(scope="module")
def store(pipeline: Pipeline) -> IndexStore:
    return pipeline.store


@pytest.mark.integration
def test_stored_words_and_terms_are_what_tokenizing_each_sentence_gives(store: IndexStore) -> None:
    assert len(store.lexicon) == len(store.sentences)
    for s in store.sentences:
        assert store.lexicon.words(s.sentence_id) == words(s.text)
        assert store.lexicon.terms(s.sentence_id) == terms(s.text)


@pytest.mark.integration
def test_stored_bm25_scores_like_bm25_over_the_texts(store: IndexStore) -> None:
    """Chunk BM25 is built from its sentences' stored terms: the same as from the chunk text."""
    chunk_ref = Bm25.build([terms(c.text) for c in store.chunks])
    sentence_ref = Bm25.build([terms(s.text) for s in store.sentences])
    for q in QUESTIONS:
        assert np.allclose(store.chunk_bm25.scores(q), chunk_ref.scores(q))
        assert np.allclose(store.sentence_bm25.scores(q), sentence_ref.scores(q))
    data = store.sentence_bm25._bm25.scores["data"]
    for array in (data, store.lexicon.word_ids):
        assert type(array) is np.ndarray and not _mapped(array)  # small: read, not mapped


@pytest.mark.integration
def test_a_large_index_maps_its_arrays_as_plain_arrays(store: IndexStore) -> None:
    gen = store.path
    bm25 = Bm25.load(gen / SENTENCE_BM25, mapped=True)
    lexicon = Lexicon.read(gen, mapped=True)
    for array in (bm25._bm25.scores["data"], lexicon.word_ids):
        assert type(array) is np.ndarray and _mapped(array)  # shared pages, a plain array


def _mapped(array: object) -> bool:
    """Whether an array's memory is, down its chain of bases, a memory-mapped file."""
    while array is not None:
        if isinstance(array, mmap.mmap):
            return True
        array = getattr(array, "base", None)
    return False


@pytest.mark.integration
def test_sentence_sets_and_idf_match_their_definitions(store: IndexStore) -> None:
    sets = SentenceWords(store.lexicon, limit=10)
    for s in store.sentences:
        got = sets[s.sentence_id]
        assert got.words == frozenset(words(s.text))
        assert got.terms == frozenset(terms(s.text))
        assert got.prefixes == prefixes(words(s.text))
        assert sets[s.sentence_id] is got  # cached ...
    assert len(sets._cache) <= 10  # ... within its bound
    df: dict[str, int] = {}
    for s in store.sentences:
        for t in set(terms(s.text)):
            df[t] = df.get(t, 0) + 1
    n = len(store.sentences)
    expected = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
    assert store.sentence_bm25.document_frequencies() == df  # the BM25 columns' lengths
    assert idf_table(store.sentence_bm25.document_frequencies(), n) == pytest.approx(expected)


@pytest.mark.integration
def test_common_words_match_their_definition(pipeline: Pipeline) -> None:
    token = re.compile(r"[A-Za-z0-9]+")
    want = {
        w.lower() for s in pipeline.store.sentences for w in token.findall(s.text) if w[0].islower()
    }
    assert pipeline.store.corpus_words.lowercase == want


def test_lexicon_round_trips_and_refuses_arrays_that_disagree(tmp_path: Path) -> None:
    texts = ["Japan's U.S. office", "", "the office in Japan", "2.9 billion"]
    lex = Lexicon.build(texts)
    for name, data in lex.payloads().items():
        (tmp_path / name).write_bytes(data)
    back = Lexicon.read(tmp_path)
    assert [back.words(i) for i in range(len(texts))] == [words(t) for t in texts]
    assert [back.terms(i) for i in range(len(texts))] == [terms(t) for t in texts]
    np.save(tmp_path / OFFSETS, np.array([0, 3, 2, 9, 99]), allow_pickle=False)
    with pytest.raises(ValueError, match="do not match"):
        Lexicon.read(tmp_path)


def _words_reference(text: str) -> list[str]:
    """words() as first written: every regex on every word."""
    out = []
    for w in _WORD.findall(text):
        w = _POSSESSIVE.sub("", w.lower()).replace("’", "").replace("'", "")
        if _INITIALISM.fullmatch(w):
            w = w.replace(".", "")
        out.append(CHAT_WORDS.get(w, w))
    return out


@given(st.text(alphabet=st.sampled_from(list("aZs.'’ 9İK\u212a-,ppl")) | st.characters()))
@settings(max_examples=400, deadline=None)
def test_words_fast_path_tokenizes_like_the_reference(text: str) -> None:
    assert words(text) == _words_reference(text)


def test_words_fast_path_on_the_cases_it_skips_regexes_for() -> None:
    for text in ("Japan's U.S. don’t ppl e.g. 2.9 İstanbul", "A.B.C's x.y", "it's ’s"):
        assert words(text) == _words_reference(text)
