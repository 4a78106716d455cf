"""One build, the core path end to end: read the articles, cut sentences and chunks, embed
them, write the index generation (``build_index``).

Each step is one call: ``index.corpus.read_articles`` (article files -> ``Document``s),
``index.records.build_records`` (-> ``Sentence``s and ``Chunk``s with offsets),
``embed_texts`` (-> one vector per text, each distinct text encoded once) and
``index.store.save`` (-> a generation on disk, published atomically). A large build hands
each step a helper from ``index.scale`` (kept parses, cuts and vectors, the live index's
IVF centroids); each helper is optional, and without it the step does all the work itself.
This module and the CLI are the only ones of ``index`` that name ``index.scale``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from index.chunk import ChunkParams, TokenCounter
from index.corpus import read_articles
from index.embed import Encoder, safe_batch, tokenizer_file
from index.records import build_records
from index.scale.cut_cache import CutCache
from index.scale.ivf_reuse import live_centroids
from index.scale.parse_cache import ParseCache
from index.space import reserve
from index.store import save, spill_path, sweep_abandoned

log = logging.getLogger(__name__)

SPILL_ROWS = 65_536  # rows per block when spilling vectors to disk (96 MiB at 384 dimensions)
# Texts encoded a step: a progress line each, and each step's new vectors go to the vector
# store at once (``index.scale.vector_cache.SEGMENT_ROWS``, the most a killed build loses).
SEGMENT_ROWS = 4096


def text_keys(texts: Sequence[str]) -> np.ndarray:
    """The sha256 of each text's UTF-8 bytes, as an array of 32-byte strings."""
    return np.array([hashlib.sha256(t.encode("utf-8")).digest() for t in texts], dtype="S32")


class VectorStore(Protocol):
    """Vectors kept from earlier builds, by text (``index.scale.vector_cache.VectorCache``).
    Texts are known by their ``text_keys``."""

    folder: Path  # where they are kept, for messages

    def lookup(self, keys: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Copy the kept vector of each of the (unique) ``keys`` into the same row of
        ``out``; returns which rows were found."""
        ...

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> object:
        """Keep these texts' vectors."""
        ...

    def keep_only(self, keys: np.ndarray) -> int:
        """Let go of the vectors of texts not in ``keys`` (or not, when it would cost more
        than it frees); returns how many were let go."""
        ...


@dataclass(frozen=True)
class BuildReport:
    documents: int
    chunks: int
    sentences: int
    seconds: float
    path: Path
    encoded: int  # distinct texts run through the encoder; the rest were repeats or cached
    cache_dropped: int = 0  # cached vectors of texts no longer in the articles, removed


@dataclass(frozen=True)
class Embedded:
    unique: np.ndarray  # one vector per distinct text
    inverse: np.ndarray  # for each text, in order, its row of ``unique``
    keys: np.ndarray  # the distinct texts' sha256s
    encoded: int

    def rows(self, start: int, stop: int) -> np.ndarray:
        """The vectors of texts ``start``..``stop - 1``, in order (a copy)."""
        return self.unique[self.inverse[start:stop]]

    def spill(self, path: Path) -> np.ndarray:
        """Every text's vector, in order, in a .npy file (written in blocks), mapped read-only.

        At 100,000 articles that is ~6 GiB once repeats are spread out again; mapped, it
        costs page cache the kernel can drop, not the build's memory. The file's blocks are
        allocated before any row is written through the mapping: on a full disk such a write
        is a SIGBUS, which kills the build with no message and no cleanup.
        """
        n = len(self.inverse)
        out = np.lib.format.open_memmap(
            path, mode="w+", dtype=np.float32, shape=(n, self.unique.shape[1])
        )
        reserve(path, path.stat().st_size)
        for at in range(0, n, SPILL_ROWS):
            out[at : at + SPILL_ROWS] = self.rows(at, min(n, at + SPILL_ROWS))
        out.flush()
        del out
        return np.load(path, mmap_mode="r", allow_pickle=False)


def embed_texts(
    texts: list[str], encoder: Encoder, batch_size: int, cache: VectorStore | None
) -> Embedded:
    """Each distinct text encoded once, unless the cache has it; new rows cached as made.

    News repeats sentences word for word, and a rebuild repeats most of the last one. The
    cache is written a segment at a time, so a killed build resumes where it stopped.
    """
    keys = text_keys(texts)
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    vectors = np.empty((len(unique), encoder.dimension), dtype=np.float32)
    found = (
        cache.lookup(unique, vectors) if cache is not None else np.zeros(len(unique), dtype=bool)
    )
    lengths = np.array([len(texts[i]) for i in first], dtype=np.int64)
    todo = np.flatnonzero(~found)
    todo = todo[np.argsort(lengths[todo], kind="stable")]
    log.info(
        "%d texts, %d distinct, %d cached: encoding %d",
        len(texts),
        len(unique),
        int(found.sum()),
        len(todo),
    )
    size = safe_batch(encoder, batch_size)
    # Texts run shortest first, so the time left follows the characters left, not the count.
    chars = np.cumsum(lengths[todo])
    t0 = time.perf_counter()
    for done in range(0, len(todo), SEGMENT_ROWS):
        rows = todo[done : done + SEGMENT_ROWS]
        vectors[rows] = encoder.encode([texts[first[r]] for r in rows], batch_size=size)
        if cache is not None:
            cache.add(unique[rows], vectors[rows])
        n, elapsed = done + len(rows), time.perf_counter() - t0
        log.info(
            "encoded %d of %d texts, %.1f texts/s, about %.0f s left",
            n,
            len(todo),
            n / elapsed,
            (chars[-1] - chars[n - 1]) * elapsed / max(1, chars[n - 1]),
        )
    return Embedded(vectors, inverse.reshape(-1), unique, len(todo))


def _trim(cache: VectorStore, keys: np.ndarray) -> int:
    """``cache.keep_only(keys)``; a failure is logged, not raised: the new generation is
    already live, and the build must not be reported as failed."""
    try:
        return cache.keep_only(keys)
    except OSError as exc:
        log.warning("the vector cache in %s was not trimmed: %s", cache.folder, exc)
        return 0


def build_index(
    seeds_dir: Path,
    out_dir: Path,
    encoder: Encoder,
    params: ChunkParams | None = None,
    wordpiece_tokenizer: Path | None = None,
    batch_size: int = 16,
    cache: VectorStore | None = None,
    cuts: Path | None = None,
    retrain: bool = False,
    parses: Path | None = None,
) -> BuildReport:
    """Build and atomically publish a new index generation for the articles in ``seeds_dir``.

    The large-build helpers (``index.scale``), each optional: ``cache`` keeps vectors by
    text, ``parses`` and ``cuts`` (folders) each article's parse and cut, so a resumed or
    updated build redoes only what is new; so does a large index's IVF, whose centroids
    come from the live generation while they fit (``retrain`` trains them anew), and whose
    vectors keep their lists there when it holds their text.
    """
    t0 = time.perf_counter()
    if out_dir.is_dir():
        sweep_abandoned(out_dir)  # a dead build's files hold space this build may need
    params = params or ChunkParams()
    paths, docs = read_articles(seeds_dir, ParseCache(parses) if parses is not None else None)
    # the bytes that were read and indexed (``store.seeds_fingerprint``, without hashing twice)
    seeds = {path.name: doc.sha256 for path, doc in zip(paths, docs, strict=True)}
    counter = TokenCounter(params, wordpiece_tokenizer or tokenizer_file())
    cut_cache = CutCache(cuts, counter) if cuts is not None else None
    sentences, chunks = build_records(docs, counter, os.cpu_count() or 1, cut_cache)
    if not chunks:
        raise ValueError(f"the articles in {seeds_dir} hold no text to index")
    embedded = embed_texts(
        [c.text for c in chunks] + [s.text for s in sentences], encoder, batch_size, cache
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    spilled = spill_path(out_dir)
    try:
        vectors = embedded.spill(spilled)
        keys, encoded = embedded.keys, embedded.encoded
        del embedded  # the distinct vectors: the mapped copy is all the build needs now
        path = save(
            out_dir,
            docs,
            sentences,
            chunks,
            vectors[: len(chunks)],
            vectors[len(chunks) :],
            model=encoder.name,
            params=params,
            seeds=seeds,
            centroids=None if retrain else live_centroids,
        )
        del vectors
    finally:
        spilled.unlink(missing_ok=True)
    dropped = _trim(cache, keys) if cache is not None else 0
    report = BuildReport(
        len(docs),
        len(chunks),
        len(sentences),
        time.perf_counter() - t0,
        path,
        encoded,
        dropped,
    )
    log.info("built %s", report)
    return report
