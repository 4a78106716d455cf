"""Documents -> sentences and chunks, with offsets into the original files.

The second step of the core path: each document's segments are cut (``index.chunk`` fits
sentences to the budget and packs them into overlapping chunks) and numbered into the
``Sentence`` and ``Chunk`` records every later step uses. A large build may hand
``build_records`` a ``CutStore`` (``index.scale.cut_cache``) that keeps each article's cut
between builds.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Protocol

from index.chunk import ChunkParams, TokenCounter, chunk_segment
from index.types import Chunk, Document, Sentence, Span

# Below this many articles one process cuts them: starting workers costs more than it saves.
PARALLEL_MIN_DOCS = 200

# A document's segments as (start, end) sentence offsets; its cut: per segment, the fitted
# sentences' offsets and the chunks as [first, last] sentence indices.
_Offsets = list[tuple[int, int]]
Cut = list[tuple[_Offsets, list[tuple[int, int]]]]
Segments = list[_Offsets]


class CutStore(Protocol):
    """Cuts kept from an earlier build (``index.scale.cut_cache.CutCache``)."""

    def cut_all(
        self,
        jobs: list[tuple[str, Segments]],
        cut: Callable[[list[tuple[str, Segments]]], list[Cut]],
    ) -> list[Cut]:
        """Each job's (text, segments) cut: the kept one when it fits, else made by ``cut``
        (which gets only the jobs that need it)."""
        ...


_worker_counter: TokenCounter | None = None


def _start_worker(params: ChunkParams, wordpieces: Path | None) -> None:
    global _worker_counter
    _worker_counter = TokenCounter(params, wordpieces)


def _cut_in_worker(job: tuple[str, Segments]) -> Cut:
    if _worker_counter is None:
        raise RuntimeError("a chunking worker ran before its initializer")
    return _cut(job[0], job[1], _worker_counter)


def _cut(text: str, segments: Segments, counter: TokenCounter) -> Cut:
    out: Cut = []
    for segment in segments:
        spans, groups = chunk_segment(text, [Span(a, b, text[a:b]) for a, b in segment], counter)
        out.append(([(s.start, s.end) for s in spans], groups))
    return out


def _cut_jobs(jobs: list[tuple[str, Segments]], counter: TokenCounter, workers: int) -> list[Cut]:
    """Each job's cut, on ``workers`` processes when there are enough of them.

    Cutting is CPU-bound Python around two tokenizers that mostly keep the GIL (threads
    gained little): at 100,000 articles one process takes about a quarter of an hour.
    Workers are spawned (not forked, which the tokenizer library warns against) and get
    offsets, not objects.
    """
    if workers < 2 or len(jobs) < PARALLEL_MIN_DOCS:
        return [_cut(text, segments, counter) for text, segments in jobs]
    with ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(counter.params, counter.wordpiece_file),
    ) as pool:
        return list(pool.map(_cut_in_worker, jobs, chunksize=64))


def _cut_all(
    docs: Sequence[Document], counter: TokenCounter, workers: int, cache: CutStore | None
) -> list[Cut]:
    """Each document's cut: from ``cache`` when it holds a well-formed one, else made."""
    jobs = [(d.text, [[(s.start, s.end) for s in seg] for seg in d.segments]) for d in docs]
    if cache is None:
        return _cut_jobs(jobs, counter, workers)
    return cache.cut_all(jobs, lambda missing: _cut_jobs(missing, counter, workers))


def build_records(
    docs: Sequence[Document],
    counter: TokenCounter,
    workers: int = 1,
    cache: CutStore | None = None,
) -> tuple[list[Sentence], list[Chunk]]:
    """Cut every document's segments into sentences and overlapping chunks of them
    (each article's cut taken from ``cache`` when it has one, and the cuts kept there)."""
    sentences: list[Sentence] = []
    chunks: list[Chunk] = []
    for doc, cut in zip(docs, _cut_all(docs, counter, workers, cache), strict=True):
        for offsets, groups in cut:
            base = len(sentences)
            owners: list[list[int]] = [[] for _ in offsets]
            for first, last in groups:
                chunk_id = len(chunks)
                start, end = offsets[first][0], offsets[last][1]
                chunks.append(
                    Chunk(
                        chunk_id=chunk_id,
                        doc_id=doc.doc_id,
                        start=start,
                        end=end,
                        text=doc.text[start:end],
                        sentence_ids=tuple(range(base + first, base + last + 1)),
                    )
                )
                for i in range(first, last + 1):
                    owners[i].append(chunk_id)
            for i, (start, end) in enumerate(offsets):
                sentences.append(
                    Sentence(
                        sentence_id=base + i,
                        doc_id=doc.doc_id,
                        start=start,
                        end=end,
                        text=doc.text[start:end],
                        chunk_ids=tuple(owners[i]),
                    )
                )
    return sentences, chunks
