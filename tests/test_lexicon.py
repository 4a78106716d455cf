"""The Lexicon tokenizes each sentence once; everything built on it sees the same terms."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.store import IndexStore
from service.lexicon import Lexicon
from service.text import _INITIALISM, _POSSESSIVE, _WORD, CHAT_WORDS, terms, words


@pytest.fixture(scope="module")
def store_and_lexicon(pipeline: object) -> tuple[IndexStore, Lexicon]:
    store: IndexStore = pipeline.store  # type: ignore[attr-defined]
    return store, Lexicon(store)


@pytest.mark.integration
def test_sentence_and_chunk_terms_are_what_tokenizing_their_text_gives(
    store_and_lexicon: tuple[IndexStore, Lexicon],
) -> None:
    store, lex = store_and_lexicon
    for s in store.sentences:
        assert lex.words[s.sentence_id] == words(s.text)
        assert lex.terms[s.sentence_id] == terms(s.text)
    for c in store.chunks:  # a chunk is a run of whole sentences: BM25 sees its text's terms
        assert lex.chunk_terms(c) == terms(c.text)


@pytest.mark.integration
def test_each_distinct_token_is_stored_once(store_and_lexicon: tuple[IndexStore, Lexicon]) -> None:
    _, lex = store_and_lexicon
    first: dict[str, str] = {}
    for tokens in (*lex.words, *lex.terms):
        for t in tokens:
            assert first.setdefault(t, t) is t  # the same object wherever the token occurs
    assert len(first) < sum(len(ts) for ts in lex.words) / 2  # words do repeat


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
