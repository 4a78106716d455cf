"""One build: read the articles, cut sentences and chunks, embed them, write the index."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from index.chunk import ChunkParams, TokenCounter
from index.corpus import read_corpus
from index.embed import Encoder, tokenizer_file
from index.records import build_records
from index.store import save, seeds_fingerprint

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildReport:
    documents: int
    chunks: int
    sentences: int
    seconds: float
    path: Path


def build_index(
    seeds_dir: Path,
    out_dir: Path,
    encoder: Encoder,
    params: ChunkParams | None = None,
    wordpiece_tokenizer: Path | None = None,
    batch_size: int = 16,
) -> BuildReport:
    """Build and atomically publish a new index generation for the articles in ``seeds_dir``."""
    t0 = time.perf_counter()
    params = params or ChunkParams()
    seeds = seeds_fingerprint(seeds_dir)
    docs = read_corpus(seeds_dir)
    counter = TokenCounter(params, wordpiece_tokenizer or tokenizer_file())
    sentences, chunks = build_records(docs, counter)
    if not chunks:
        raise ValueError(f"the articles in {seeds_dir} hold no text to index")
    chunk_vectors = encoder.encode([c.text for c in chunks], batch_size=batch_size)
    sentence_vectors = encoder.encode([s.text for s in sentences], batch_size=batch_size)
    path = save(
        out_dir,
        docs,
        sentences,
        chunks,
        chunk_vectors,
        sentence_vectors,
        model=encoder.name,
        params=params,
        seeds=seeds,
    )
    report = BuildReport(len(docs), len(chunks), len(sentences), time.perf_counter() - t0, path)
    log.info("built %s", report)
    return report
