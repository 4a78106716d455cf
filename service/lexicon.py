"""The words and stemmed terms of every sentence of the index, tokenized once at load.

BM25 over sentences, BM25 over chunks (a chunk is a run of whole sentences, so its terms
are its sentences' terms in order) and the reader all use them; tokenizing each sentence
once instead of three times, and stemming each distinct word once, is most of the
service's start-up time on a large corpus.
"""

from __future__ import annotations

from index.store import IndexStore
from index.types import Chunk
from service.text import STOPWORDS, stem, words


class Lexicon:
    def __init__(self, store: IndexStore) -> None:
        stems: dict[str, str] = {}
        self.words: list[list[str]] = []
        self.terms: list[list[str]] = []
        for sentence in store.sentences:
            ws = words(sentence.text)
            ts = []
            for w in ws:
                if w in STOPWORDS:
                    continue
                t = stems.get(w)
                if t is None:
                    t = stems[w] = stem(w)
                ts.append(t)
            self.words.append(ws)
            self.terms.append(ts)

    def chunk_terms(self, chunk: Chunk) -> list[str]:
        return [t for sid in chunk.sentence_ids for t in self.terms[sid]]
