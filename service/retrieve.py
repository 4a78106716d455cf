"""Hybrid retrieval: dense (FAISS) and BM25 (bm25s) rankings, over chunks and over sentences,
fused by reciprocal rank."""

from __future__ import annotations

import logging

import numpy as np

from index.bm25 import Bm25
from index.store import IndexStore
from index.types import Chunk, Hit

log = logging.getLogger(__name__)

RRF_K = 60  # the usual constant from Cormack et al.; flattens the head of each ranking


class Retriever:
    """Ranks chunks for a question; ``search`` never returns more chunks than exist."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self.bm25: Bm25 = store.chunk_bm25  # both built with the index, loaded mapped
        self.sentence_bm25: Bm25 = store.sentence_bm25
        self._owner = store.sentences.first_chunks()  # each sentence's first chunk, or -1

    def _sentence_ranking(self, order: np.ndarray, scores: np.ndarray, depth: int) -> list[int]:
        """Chunks in the order of their best-scoring sentence (a sentence-level view).

        ``order`` lists sentence ids best first and ``scores`` their scores, aligned.
        """
        owners = self._owner[order]
        owners = owners[(scores > 0) & (owners >= 0)]
        _, first = np.unique(owners, return_index=True)  # each chunk at its best sentence
        return owners[np.sort(first)][:depth].tolist()

    def search(self, question: str, query_vector: np.ndarray, k: int) -> list[Hit]:
        n = len(self.store.chunks)
        k = max(0, min(k, n))
        if k == 0:
            return []
        depth = min(n, max(4 * k, 50))
        dense = self.store.search(query_vector, depth)
        lexical_order = self.bm25.top(question, depth)[0].tolist()

        # Sentence-level views catch a single telling sentence inside an otherwise off-topic chunk.
        # FAISS, not a product with every sentence vector: an IVF index once there are many
        sentence_dense = self._sentence_ranking(
            *self.store.search_sentences(query_vector, depth * 4), depth
        )
        sentence_lexical = self._sentence_ranking(
            *self.sentence_bm25.top(question, depth * 4), depth
        )
        rankings = [[cid for cid, _ in dense], lexical_order, sentence_dense, sentence_lexical]
        fused: dict[int, float] = {}
        for ranking in rankings:
            for rank, cid in enumerate(ranking):
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = len(rankings) / (RRF_K + 1)
        top = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [
            Hit(chunk=self.store.chunks[cid], score=round(score / best, 6)) for cid, score in top
        ]


def chunk_ref(chunk: Chunk) -> str:
    """The public id of a chunk: stable for one index build."""
    return f"{chunk.doc_id}#{chunk.chunk_id}"
