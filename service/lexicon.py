"""The reader's sets of each sentence's words, built from the index's word ids when first read.

A question reads a few dozen sentences. Building three sets for every sentence at start-up
cost most of a large index's memory (about 3 KiB per sentence per worker) and seconds of
start-up; built on first use and kept in a bounded cache, they cost that only for the
sentences questions actually reach.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from index.lexicon import Lexicon
from index.memo import BoundedMemo

CACHE_LIMIT = 20_000  # sentences; about 60 MB of sets, cleared when full
PREFIX = 5  # 'Japanese' and 'Japan' share 'japan'


class SentenceSets(NamedTuple):
    words: frozenset[str]
    terms: frozenset[str]  # stemmed, stopwords left out
    prefixes: frozenset[str]  # the first PREFIX letters of its longer words


class SentenceWords:
    def __init__(self, lexicon: Lexicon, limit: int = CACHE_LIMIT) -> None:
        self.lexicon = lexicon
        self._prefix = [prefix(w) for w in lexicon.vocabulary]
        self._cache: BoundedMemo[int, SentenceSets] = BoundedMemo(self._sets, limit)

    def __getitem__(self, sentence_id: int) -> SentenceSets:
        return self._cache[sentence_id]

    def _sets(self, sentence_id: int) -> SentenceSets:
        ids = set(self.lexicon.ids(sentence_id))
        vocabulary, stems, prefix = self.lexicon.vocabulary, self.lexicon.stems, self._prefix
        return SentenceSets(
            words=frozenset(vocabulary[i] for i in ids),
            terms=frozenset(t for t in (stems[i] for i in ids) if t is not None),
            prefixes=frozenset(p for p in (prefix[i] for i in ids) if p is not None),
        )


def idf_table(document_frequencies: Mapping[str, int], texts: int) -> dict[str, float]:
    """log((n + 1) / (df + 0.5)) of every term, df counting the texts (sentences) that hold it."""
    size = max(1, texts)
    return {t: math.log((size + 1) / (c + 0.5)) for t, c in document_frequencies.items() if c}


def prefix(word: str) -> str | None:
    """The first PREFIX letters of a longer word, interned (one str however many sets hold
    it); None for a shorter word."""
    return sys.intern(word[:PREFIX]) if len(word) >= PREFIX else None


def prefixes(words: Iterable[str]) -> frozenset[str]:
    """The prefix set of words that are not a sentence of the index (a title, a window)."""
    return frozenset(p for p in map(prefix, words) if p is not None)
