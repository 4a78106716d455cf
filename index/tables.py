"""Sentences and chunks stored as columns of integers, made into records when asked for.

A large index holds hundreds of thousands of sentences. Stored as JSON lines and parsed
into one Python object each (with its own copy of its text), they took about a second of
start-up per 1,000 articles and a seventh of each worker's memory. Here each table is a few
integer arrays (.npy, nothing pickled): a ``Sentence`` or ``Chunk`` is made when it is
looked up, its text sliced from the article, and the ones looked up lately are kept.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Generic, SupportsIndex, TypeVar, overload

import numpy as np

from index.files import load_npy, npy_bytes
from index.memo import BoundedMemo
from index.types import Chunk, Sentence

SENTENCE_SPANS = "sentence_spans.npy"  # int64 (n, 3): document, start, end
SENTENCE_CHUNKS = "sentence_chunks.npy"  # int64: every sentence's chunk ids, in order
SENTENCE_CHUNK_OFFSETS = "sentence_chunk_offsets.npy"  # int64 (n + 1) into the above
CHUNK_SPANS = "chunk_spans.npy"  # int64 (m, 5): document, start, end, first sentence, stop
FILES = (SENTENCE_SPANS, SENTENCE_CHUNKS, SENTENCE_CHUNK_OFFSETS, CHUNK_SPANS)
CACHE_LIMIT = 50_000  # records kept per table; cleared when full (a question reads ~100)

R = TypeVar("R", Sentence, Chunk)


class _Table(Sequence[R], Generic[R]):
    """A read-only sequence of records made from rows on first use."""

    def __init__(
        self,
        doc_ids: Sequence[str],
        texts: Sequence[str],
        size: int,
        make: Callable[[int], R],
        cache_limit: int,
    ) -> None:
        self._doc_ids, self._texts = doc_ids, texts  # a row's article id and text, by index
        self._size = size
        self._make: Callable[[int], R] = make
        self._cache: BoundedMemo[int, R] = BoundedMemo(make, cache_limit)

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, i: SupportsIndex) -> R: ...

    @overload
    def __getitem__(self, i: slice) -> list[R]: ...

    def __getitem__(self, i: SupportsIndex | slice) -> R | list[R]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._size))]
        j = operator.index(i)
        if j < 0:
            j += self._size
        if not 0 <= j < self._size:
            raise IndexError(f"record {operator.index(i)} of {self._size}")
        return self._cache[j]

    def __iter__(self) -> Iterator[R]:
        # a full pass (tests, tools) makes every record once, without flushing the cache
        return (self._make(j) for j in range(self._size))


class SentenceTable(_Table[Sentence]):
    def __init__(
        self,
        doc_ids: Sequence[str],
        texts: Sequence[str],
        spans: np.ndarray,
        chunks: np.ndarray,
        offsets: np.ndarray,
        cache_limit: int = CACHE_LIMIT,
    ) -> None:
        self.spans, self.chunks, self.offsets = spans, chunks, offsets
        super().__init__(doc_ids, texts, len(spans), self._row, cache_limit)

    def _row(self, i: int) -> Sentence:
        d, start, end = self.spans[i].tolist()
        lo, hi = self.offsets[i : i + 2].tolist()
        return Sentence(
            sentence_id=i,
            doc_id=self._doc_ids[d],
            start=start,
            end=end,
            text=self._texts[d][start:end],
            chunk_ids=tuple(self.chunks[lo:hi].tolist()),
        )

    def of_document(self, doc: int) -> list[Sentence]:
        """The sentences of the ``doc``-th document, in order."""
        return [self[int(i)] for i in np.flatnonzero(self.spans[:, 0] == doc)]

    def first_chunks(self) -> np.ndarray:
        """Each sentence's first chunk id, -1 for a sentence in none."""
        owned = np.diff(self.offsets) > 0
        first = np.full(len(self), -1, dtype=np.int64)
        first[owned] = self.chunks[self.offsets[:-1][owned]]
        return first


class ChunkTable(_Table[Chunk]):
    def __init__(
        self,
        doc_ids: Sequence[str],
        texts: Sequence[str],
        spans: np.ndarray,
        cache_limit: int = CACHE_LIMIT,
    ) -> None:
        self.spans = spans
        super().__init__(doc_ids, texts, len(spans), self._row, cache_limit)

    def _row(self, i: int) -> Chunk:
        d, start, end, first, stop = self.spans[i].tolist()
        return Chunk(
            chunk_id=i,
            doc_id=self._doc_ids[d],
            start=start,
            end=end,
            text=self._texts[d][start:end],
            sentence_ids=tuple(range(first, stop)),
        )


def columns(
    doc_ids: Sequence[str], sentences: Sequence[Sentence], chunks: Sequence[Chunk]
) -> dict[str, np.ndarray]:
    """The four arrays of the tables, by file name; raises ValueError on records they
    cannot hold (ids out of order, a chunk whose sentences are not one run)."""
    index = {doc_id: i for i, doc_id in enumerate(doc_ids)}
    offsets = np.zeros(len(sentences) + 1, dtype=np.int64)
    owners: list[int] = []
    spans = np.zeros((len(sentences), 3), dtype=np.int64)
    for i, s in enumerate(sentences):
        if s.sentence_id != i:
            raise ValueError(f"sentence {s.sentence_id} is stored at row {i}")
        spans[i] = (index[s.doc_id], s.start, s.end)
        owners.extend(s.chunk_ids)
        offsets[i + 1] = len(owners)
    chunk_spans = np.zeros((len(chunks), 5), dtype=np.int64)
    for i, c in enumerate(chunks):
        first = c.sentence_ids[0] if c.sentence_ids else 0
        if c.chunk_id != i:
            raise ValueError(f"chunk {c.chunk_id} is stored at row {i}")
        if c.sentence_ids != tuple(range(first, first + len(c.sentence_ids))):
            raise ValueError(f"chunk {i}'s sentences are not one run: {c.sentence_ids}")
        chunk_spans[i] = (index[c.doc_id], c.start, c.end, first, first + len(c.sentence_ids))
    return {
        SENTENCE_SPANS: spans,
        SENTENCE_CHUNKS: np.asarray(owners, dtype=np.int64),
        SENTENCE_CHUNK_OFFSETS: offsets,
        CHUNK_SPANS: chunk_spans,
    }


def payloads(arrays: Mapping[str, np.ndarray]) -> dict[str, bytes]:
    """The .npy files of ``columns``'s arrays, by name (nothing pickled)."""
    return {name: npy_bytes(array) for name, array in arrays.items()}


def read(
    folder: Path, doc_ids: Sequence[str], texts: Sequence[str]
) -> tuple[SentenceTable, ChunkTable]:
    """Load what ``payloads`` wrote; raises ValueError when the arrays do not fit together
    or point outside the articles."""

    def load(name: str) -> np.ndarray:
        array = load_npy(folder / name)
        if array.dtype != np.int64:
            raise ValueError(f"{name} holds {array.dtype}, not int64")
        return array

    spans, owners, offsets, chunk_spans = (load(name) for name in FILES)
    n, m = len(spans), len(chunk_spans)
    if spans.shape != (n, 3) or chunk_spans.shape != (m, 5) or owners.ndim != 1:
        raise ValueError("the sentence or chunk tables have the wrong shape")
    if offsets.shape != (n + 1,) or offsets[0] != 0 or offsets[-1] != len(owners):
        raise ValueError("the sentence chunk offsets do not match their ids")
    if np.any(np.diff(offsets) < 0) or (len(owners) and not 0 <= owners.min() <= owners.max() < m):
        raise ValueError("a sentence names a chunk that does not exist")
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    for name, table in ((SENTENCE_SPANS, spans), (CHUNK_SPANS, chunk_spans)):
        docs, starts, ends = table[:, 0], table[:, 1], table[:, 2]
        if len(table) and (
            docs.min() < 0
            or docs.max() >= len(texts)
            or np.any(starts < 0)
            or np.any(starts > ends)
            or np.any(ends > lengths[docs])  # docs are in range: checked just above
        ):
            raise ValueError(f"{name} has spans outside their articles")
    first, stop = chunk_spans[:, 3], chunk_spans[:, 4]
    if m and (first.min() < 0 or np.any(first > stop) or stop.max() > n):
        raise ValueError("a chunk names sentences that do not exist")
    return (
        SentenceTable(doc_ids, texts, spans, owners, offsets),
        ChunkTable(doc_ids, texts, chunk_spans),
    )
