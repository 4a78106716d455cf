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


class Bm25:
    """A score per text for a question's terms (0 where none of them occurs)."""

    def __init__(self, bm25: bm25s.BM25) -> None:
        self._bm25 = bm25
        self.size = int(bm25.scores["num_docs"])
        self._vocab = frozenset(bm25.vocab_dict)

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
    def load(cls, folder: Path) -> Bm25:
        bm25 = bm25s.BM25.load(folder, mmap=True, allow_pickle=False, show_progress=False)
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

    def scores(self, query: str) -> np.ndarray:
        q = [t for t in terms(query) if t in self._vocab]
        if not q:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(q), dtype=np.float32)
