"""The words and stemmed terms of every sentence of the index, tokenized once at load.

BM25 over sentences, BM25 over chunks (a chunk is a run of whole sentences, so its terms
are its sentences' terms in order) and the reader all use them; tokenizing each sentence
once instead of three times saves most of the service's start-up time on a large corpus.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from index.store import IndexStore
from index.types import Chunk
from service.text import terms_of, words


class Lexicon:
    def __init__(self, store: IndexStore) -> None:
        self.words = [shared(words(s.text)) for s in store.sentences]
        self.terms = [shared(terms_of(ws)) for ws in self.words]

    def chunk_terms(self, chunk: Chunk) -> list[str]:
        return [t for sid in chunk.sentence_ids for t in self.terms[sid]]


def shared(tokens: Iterable[str]) -> list[str]:
    """The tokens as one str object per distinct token (interned).

    Tokenizing makes a new ~55-byte string for every occurrence; the reader keeps sets of
    them for every sentence, so a large corpus would hold the same few thousand words
    millions of times over.
    """
    return list(map(sys.intern, tokens))
