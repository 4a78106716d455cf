"""BM25 over stemmed terms (bm25s sparse matrices): built with the index, loaded mapped.

Scoring a question is a sum over the columns of its terms, so it never loops over the texts
in Python. The index is written with bm25s's own ``save`` (.npy and JSON, nothing pickled) and
loaded with ``mmap``: worker processes share its pages, and start-up does not rebuild it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
from tqdm import tqdm

from index.text import terms

logging.getLogger("bm25s").setLevel(logging.WARNING)
# bm25s wraps its loops in tqdm (silenced), whose default lock is a multiprocessing
# semaphore that every worker process would leak at exit: a thread lock is all it needs.
tqdm.set_lock(threading.RLock())

FILES = (
    "params.index.json",
    "vocab.index.json",
    "data.csc.index.npy",
    "indices.csc.index.npy",
    "indptr.csc.index.npy",
)
_EMPTY = "\x00"  # stands in for a text with no terms: bm25s wants at least one token each


def top_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores, best first, ties by index: O(n), not a full sort."""
    k = min(k, scores.shape[0])
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < scores.shape[0]:
        # argpartition keeps an arbitrary few of the scores tied with the k-th: keep the
        # lowest indices among them, so that ties break by index across the cut too.
        kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
        above = np.flatnonzero(scores > kth)
        part = np.concatenate([above, np.flatnonzero(scores == kth)[: k - len(above)]])
    else:
        part = np.arange(k)
    return part[np.lexsort((part, -scores[part]))]


class Bm25:
    """A score per text for a question's terms (0 where none of them occurs)."""

    def __init__(self, bm25: bm25s.BM25) -> None:
        if bm25.method != "lucene":
            # top() needs every stored weight positive and texts without the question's terms
            # at zero: bm25s's default ("lucene") keeps both; robertson's idf can go negative,
            # and bm25l and bm25+ score texts without the terms too.
            raise ValueError(f"BM25 method {bm25.method!r} is not supported, only 'lucene'")
        self._bm25 = bm25
        self.size = int(bm25.scores["num_docs"])

    @classmethod
    def build(cls, corpus: Sequence[list[str]]) -> Bm25:
        """Index texts given as their terms (``index.text.terms``).

        The vocabulary is numbered in sorted order: bm25s numbers it in a set's order, which
        changes with Python's string hashing from one process to the next, so the same
        articles gave different BM25 files (same scores) on every build.
        """
        docs = [ts or [_EMPTY] for ts in corpus]
        vocab = {t: i for i, t in enumerate(sorted({t for ts in docs for t in ts}))}
        bm25 = bm25s.BM25()
        bm25.index(([[vocab[t] for t in ts] for ts in docs], vocab), show_progress=False)
        return cls(bm25)

    def save(self, folder: Path) -> list[Path]:
        """Write the index into ``folder``; returns the files written."""
        self._bm25.save(folder, show_progress=False)
        return [folder / name for name in FILES]

    @classmethod
    def load(cls, folder: Path, mapped: bool = False) -> Bm25:
        """``mapped``: map the score arrays instead of reading them (see ``index.store``)."""
        bm25 = bm25s.BM25.load(folder, mmap=mapped, allow_pickle=False, show_progress=False)
        for key in ("data", "indices", "indptr"):
            # The same mapped pages as plain arrays: np.memmap runs Python on every slice.
            bm25.scores[key] = np.asarray(bm25.scores[key])
        return cls(bm25)

    def document_frequencies(self) -> dict[str, int]:
        """How many texts hold each term: the length of its column, no pass over the texts."""
        df = np.diff(np.asarray(self._bm25.scores["indptr"])).tolist()
        # bm25s's vocabulary also holds "" past the last column (for unknown query tokens)
        return {
            t: df[i]
            for t, i in self._bm25.vocab_dict.items()
            if t != _EMPTY and i < len(df) and df[i]
        }

    def _term_ids(self, query: str) -> list[int]:
        """The question's indexed terms as vocabulary ids; a repeated word counts twice."""
        ids: list[int] = self._bm25.get_tokens_ids(terms(query))
        return ids

    def scores(self, query: str) -> np.ndarray:
        ids = self._term_ids(query)
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(ids), dtype=np.float32)

    def top(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best texts holding any of the question's terms and their scores, best
        first, ties by index: the head of ``scores``'s ranking, without its zeros.

        A question's common words touch most texts (61% of 911,000 chunks at 100,000
        articles), so ranking every positive score cost more than scoring. The texts that
        hold its rarest term (at least ``k`` of them) are real texts with their full
        scores: the k-th best of those is a floor under the k-th best of all, and only the
        texts at or above it are ranked (12.8 -> 7.3 ms for the top 200 of 3.4 million
        sentences). Every text scoring at the k-th best is kept, so ties cut the same way.
        """
        ids = self._term_ids(query)
        k = min(k, self.size)
        if not ids or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = np.asarray(self._bm25.get_scores(ids), dtype=np.float32)
        indices, indptr = self._bm25.scores["indices"], self._bm25.scores["indptr"]
        floor = np.float32(0)
        columns = sorted((int(indptr[i + 1] - indptr[i]), i) for i in set(ids))
        for length, i in columns:
            if length >= k:
                held = scores[indices[indptr[i] : indptr[i + 1]]]
                floor = held[np.argpartition(-held, k - 1)[k - 1]]
                break
        # BM25 weights are positive (idf > 0), so the floor is too when a column was long
        # enough; without one, every positive score is a candidate.
        candidates = np.flatnonzero(scores >= floor) if floor > 0 else np.flatnonzero(scores > 0)
        best = candidates[top_indices(scores[candidates], k)]
        return best, scores[best]
