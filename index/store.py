"""The index on disk: FAISS over chunks, sentence vectors, JSON metadata, a verified manifest.

Layout of ``out_dir``::

    CURRENT                 name of the live generation (replaced atomically)
    gen-<time>-<hash>/      one complete, immutable build
        manifest.json       format, model, dimension, chunking, counts, BLAKE3 of every file
        documents.jsonl     metadata and full original text of each article
        sentence_spans.npy, sentence_chunks.npy, sentence_chunk_offsets.npy, chunk_spans.npy
                            sentences and chunks as integer columns: article, offsets,
                            owning chunks, sentence runs (text is sliced from the article)
        chunks.faiss        inner-product index over chunk vectors
        sentences.faiss     the same over sentence vectors (flat, or IVF when large); the
                            reader reads a sentence's vector back from it by id
        lexicon.json, sentence_words.npy, sentence_word_offsets.npy
                            every sentence's words as ids into one vocabulary
        bm25-chunks/, bm25-sentences/
                            BM25 over chunk and sentence terms (bm25s's own files)
        corpus_words.json   words written in lower case, and letter-run counts (speller)
        analysis.json, analysis_*.npy
                            every sentence parsed by spaCy: lemmas, parts of speech,
                            dependency arcs, entities, noun chunks (``index.analysis``)

A build writes a new generation folder and only then switches ``CURRENT``, so a crash
at any point leaves the previous index intact and usable. While it writes, its vectors
wait in ``.vectors-<pid>.npy`` (mapped, not held in memory); a killed build's is swept when
the next one starts. Nothing is ever pickled.

The core path's last two steps: ``save`` writes a generation, ``load`` (or
``load_servable``) reads one back, verified. A large index (IVF, ``index.ivf``) may take
centroids trained before from a ``CentroidSource`` (``index.scale.ivf_reuse``).
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import faiss
import numpy as np
import orjson

from index import analysis as analysis_files
from index import bm25 as bm25_files
from index import ivf, tables
from index import lexicon as lexicon_files
from index.analysis import Analyses
from index.bm25 import Bm25
from index.chunk import ChunkParams
from index.corpus_words import FILE as CORPUS_WORDS
from index.corpus_words import CorpusWords
from index.files import (
    blake3_file,
    fsync_dir,
    fsync_file,
    sha256_file,
    write_atomic,
    write_atomic_with,
)
from index.generation import (
    CURRENT,
    MANIFEST,
    REBUILD_HINT,
    IndexLoadError,
    check_files,
    current_generation,
    manifest_of,
    older_generations,
    read_manifest,
    refused,
)
from index.ivf import make_index
from index.lexicon import Lexicon
from index.tables import ChunkTable, SentenceTable
from index.types import METADATA_FIELDS, Chunk, Document, Sentence

log = logging.getLogger(__name__)

# 3: sentences get their own FAISS index; 4: words and BM25 built in; 5: corpus word
# statistics, and sentences and chunks as integer columns instead of JSON lines; 6: no
# sentences.npy (the sentence index holds the same vectors: IVF keeps a map from id to
# list), and files listed by BLAKE3, not SHA-256; 7: every sentence's linguistic analysis
FORMAT_VERSION = 7


@dataclass(frozen=True)
class StoredDocument:
    """What the service needs of an article: metadata and the exact original text."""

    doc_id: str
    title: str | None
    source: str | None
    author: str | None
    published: str | None
    url: str | None
    sha256: str
    text: str
    byline: tuple[int, int] | None = None  # offsets of the line naming the author
    dateline: tuple[int, int] | None = None  # offsets of the line giving the date

    def metadata(self) -> dict[str, str | None]:
        return {field: getattr(self, field) for field in METADATA_FIELDS}


def seeds_fingerprint(seeds_dir: Path) -> dict[str, str]:
    """sha256 of every article file, by file name."""
    return {p.name: sha256_file(p) for p in sorted(seeds_dir.glob("*.txt"))}


def _combined(hashes: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest()


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    """JSON lines, UTF-8 (orjson: about 10 s less than ``json`` for 100,000 articles)."""
    return b"".join(orjson.dumps(r) + b"\n" for r in rows)


@dataclass
class IndexStore:
    """A loaded, verified index."""

    manifest: dict[str, Any]
    documents: dict[str, StoredDocument]
    chunks: ChunkTable
    sentences: SentenceTable
    chunk_index: faiss.Index
    sentence_index: faiss.Index  # retrieval's sentence-level view: flat, or IVF when large
    lexicon: Lexicon  # every sentence's words, tokenized when the index was built
    corpus_words: CorpusWords  # lower-case words and letter-run counts, counted at build
    chunk_bm25: Bm25
    sentence_bm25: Bm25
    path: Path
    analyses: Analyses  # every sentence's parse, made at build time

    _doc_index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._doc_index = {doc_id: i for i, doc_id in enumerate(self.documents)}

    def sentences_of(self, doc_id: str) -> list[Sentence]:
        """The kept sentences of one article, in order."""
        doc = self._doc_index.get(doc_id)
        return [] if doc is None else self.sentences.of_document(doc)

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Top ``k`` chunks by inner product: (chunk_id, score), best first, never a -1 id."""
        k = max(0, min(k, self.chunk_index.ntotal))
        if k == 0:
            return []
        scores, ids = self.chunk_index.search(query.reshape(1, -1).astype(np.float32), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def sentence_vectors(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The vectors of sentences ``ids`` (float32, one row each), as stored in the
        sentence index: the reader scores retrieved sentences by them. Read from its mapped
        file (the flat array, or IVF lists through their id map), never a second copy."""
        rows = np.asarray(ids, dtype=np.int64).reshape(-1)
        if rows.size == 0:
            return np.zeros((0, self.sentence_index.d), dtype=np.float32)
        if rows.min() < 0 or rows.max() >= self.sentence_index.ntotal:
            raise IndexError(f"sentence ids must be in 0..{self.sentence_index.ntotal - 1}")
        return np.asarray(self.sentence_index.reconstruct_batch(rows), dtype=np.float32)

    def search_sentences(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` sentences by inner product: (ids, scores), best first, no -1 ids."""
        k = max(0, min(k, self.sentence_index.ntotal))
        if k == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, ids = self.sentence_index.search(query.reshape(1, -1).astype(np.float32), k)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]


CHUNK_BM25 = "bm25-chunks"
SENTENCE_BM25 = "bm25-sentences"
REQUIRED_FILES = (
    "documents.jsonl",
    *tables.FILES,
    "chunks.faiss",
    "sentences.faiss",
    *lexicon_files.FILES,
    *analysis_files.FILES,
    CORPUS_WORDS,
    *(f"{folder}/{name}" for folder in (CHUNK_BM25, SENTENCE_BM25) for name in bm25_files.FILES),
)
# the manifest entry describing each FAISS file, the count of vectors it holds, and the
# table whose first three columns say what each vector is of (document, start, end)
FAISS_INFO = {
    "chunks.faiss": ("faiss", "chunks", tables.CHUNK_SPANS),
    "sentences.faiss": ("faiss_sentences", "sentences", tables.SENTENCE_SPANS),
}


class CentroidSource(Protocol):
    """Where a large index may take centroids trained before instead of training its own
    (``index.scale.ivf_reuse.live_centroids``: the live generation's, with its lists)."""

    def __call__(
        self,
        out_dir: Path,
        fname: str,
        *,
        model: str,
        dimension: int,
        documents: Sequence[str],
        spans: np.ndarray,
    ) -> ivf.Pretrained | None:
        """Centroids for the index ``fname`` of the generation being written in
        ``out_dir``, whose vectors (from ``model``) are of ``spans`` (document, start, end)
        of ``documents`` (each one's file sha256); None to train afresh."""
        ...


# a build's vectors on disk while it writes a generation, named by its process id
_SPILL_PREFIX = ".vectors-"


def spill_path(out_dir: Path) -> Path:
    """Where this process's build keeps its vectors while it writes (swept by ``_prune``)."""
    return out_dir / f"{_SPILL_PREFIX}{os.getpid()}.npy"


def save(
    out_dir: Path,
    docs: list[Document],
    sentences: list[Sentence],
    chunks: list[Chunk],
    chunk_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    *,
    model: str,
    params: ChunkParams,
    seeds: dict[str, str],
    centroids: CentroidSource | None = None,
) -> Path:
    """Write a new generation and switch ``CURRENT`` to it; returns the generation folder.

    ``centroids``: where a large index may take IVF centroids trained before (the live
    generation's: ``index.scale.ivf_reuse``) instead of training them again; None trains.
    """
    dim = int(chunk_vectors.shape[1])
    if chunk_vectors.shape[0] != len(chunks) or sentence_vectors.shape[0] != len(sentences):
        raise ValueError("one vector per chunk and per sentence is required")
    # no copy when they already are (the build passes its mapped float32 file)
    chunk_vectors = np.ascontiguousarray(chunk_vectors, dtype=np.float32)
    sentence_vectors = np.ascontiguousarray(sentence_vectors, dtype=np.float32)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    name = f"gen-{stamp}-{_combined(seeds)[:8]}-{secrets.token_hex(3)}-{os.getpid()}"
    staging = out_dir / f".staging-{name}"
    staging.mkdir()
    files: dict[str, dict[str, Any]] = {}

    def listed(fname: str) -> None:
        path = staging / fname
        files[fname] = {"blake3": blake3_file(path), "bytes": path.stat().st_size}

    def put(fname: str, data: bytes) -> None:
        write_atomic(staging / fname, data)
        listed(fname)

    def put_with(fname: str, write: Callable[[Path], object]) -> None:
        write_atomic_with(staging / fname, write)
        listed(fname)

    try:
        # Each file is written as soon as it is made and then let go, the FAISS indexes one
        # at a time and straight to disk: at 100,000 articles the vectors alone are ~6 GiB
        # per copy, and holding every file's bytes at once would not fit in memory.
        infos: dict[str, dict[str, Any]] = {}
        columns = tables.columns([d.doc_id for d in docs], sentences, chunks)
        doc_hashes = [d.sha256 for d in docs]

        def put_index(fname: str, vectors: np.ndarray, spans: np.ndarray) -> None:
            large = len(vectors) > ivf.FLAT_LIMIT  # (a flat index has no centroids to reuse)
            reuse = (
                centroids(
                    out_dir, fname, model=model, dimension=dim, documents=doc_hashes, spans=spans
                )
                if centroids is not None and large
                else None
            )
            index, infos[fname] = make_index(vectors, reuse=reuse)
            put_with(fname, lambda tmp: _write_faiss(index, tmp))

        for fname, vectors in (
            ("chunks.faiss", chunk_vectors),
            ("sentences.faiss", sentence_vectors),
        ):
            spans = columns[FAISS_INFO[fname][2]][:, :3]  # what each vector is of
            put_index(fname, vectors, spans)
        payloads = {
            "documents.jsonl": _jsonl(
                [
                    {
                        **d.metadata(),
                        "sha256": d.sha256,
                        "text": d.text,
                        "byline": [d.byline.start, d.byline.end] if d.byline else None,
                        "dateline": [d.dateline.start, d.dateline.end] if d.dateline else None,
                    }
                    for d in docs
                ]
            ),
            **tables.payloads(columns),
        }
        for fname, data in payloads.items():
            put(fname, data)
        del payloads, columns
        lexicon = Lexicon.build(s.text for s in sentences)
        for fname, data in lexicon.payloads().items():
            put(fname, data)
        analyses = Analyses.build([s.text for s in sentences])
        for fname, data in analyses.payloads().items():
            put(fname, data)
        del analyses
        words = CorpusWords.build((s.text for s in sentences), (d.text for d in docs))
        put(CORPUS_WORDS, words.payload())
        sentence_terms = [lexicon.terms(i) for i in range(len(sentences))]
        bm25_indexes = {
            CHUNK_BM25: Bm25.build(
                [[t for sid in c.sentence_ids for t in sentence_terms[sid]] for c in chunks]
            ),
            SENTENCE_BM25: Bm25.build(sentence_terms),
        }
        for folder, bm25 in bm25_indexes.items():
            for path in bm25.save(staging / folder):
                fsync_file(path)
                listed(f"{folder}/{path.name}")
            fsync_dir(staging / folder)
        manifest = {
            "format_version": FORMAT_VERSION,
            "model": model,
            "dimension": dim,
            "chunking": asdict(params),
            "faiss": infos["chunks.faiss"],
            "faiss_sentences": infos["sentences.faiss"],
            "counts": {"documents": len(docs), "chunks": len(chunks), "sentences": len(sentences)},
            "seeds": seeds,
            "seeds_sha256": _combined(seeds),
            "files": files,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        write_atomic(staging / MANIFEST, json.dumps(manifest, indent=2).encode())
        final = out_dir / name
        os.replace(staging, final)
        try:
            fsync_dir(out_dir)
            write_atomic(out_dir / CURRENT, (name + "\n").encode())
        except BaseException:
            _unpublished(out_dir, final)
            raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    _prune(out_dir, keep={name})
    return final


def _prune(out_dir: Path, keep: set[str]) -> None:
    """Remove old generations and abandoned staging folders, keeping the newest previous one."""
    gens = sorted(
        (p for p in out_dir.glob("gen-*") if p.is_dir() and p.name not in keep),
        key=lambda p: p.stat().st_mtime_ns,
    )
    for old in gens[:-1]:
        shutil.rmtree(old, ignore_errors=True)
    sweep_abandoned(out_dir)


def sweep_abandoned(out_dir: Path) -> None:
    """Remove the staging folders and spilled vectors of builds that died.

    Run when a build starts, not only after one succeeds: a build killed by a full disk
    leaves gigabytes behind, and the next one needs that space back to get anywhere.
    """
    for stale in out_dir.glob(".staging-*"):
        if _abandoned(stale.name.rsplit("-", 1)[-1]):
            log.info("removing %s, left by a build that died", stale)
            shutil.rmtree(stale, ignore_errors=True)
    for spilled in out_dir.glob(f"{_SPILL_PREFIX}*.npy"):
        if _abandoned(spilled.stem.removeprefix(_SPILL_PREFIX)):
            log.info("removing %s, left by a build that died", spilled)
            spilled.unlink(missing_ok=True)


def _unpublished(out_dir: Path, gen: Path) -> None:
    """Remove ``gen`` when ``CURRENT`` does not name it: switching to it failed, so it was
    never live, and left there it would later be kept as the fallback generation."""
    try:
        live = (out_dir / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        live = None
    if live != gen.name:
        shutil.rmtree(gen, ignore_errors=True)


# the message of each errno that FAISS's write errors end with, e.g. "(No space left on device)"
_FAISS_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EIO)


def _write_faiss(index: faiss.Index, path: Path) -> None:
    """``faiss.write_index``, failing with an ``OSError`` like every other file write: FAISS
    raises ``RuntimeError`` when the disk is full, and the CLI reports I/O errors."""
    try:
        faiss.write_index(index, str(path))
    except RuntimeError as exc:
        text = " ".join(str(exc).split())
        code = next((c for c in _FAISS_ERRNOS if f"({os.strerror(c)})" in text), None)
        if code is None:
            raise OSError(errno.EIO, f"FAISS could not write the index: {text}", str(path)) from exc
        raise OSError(code, os.strerror(code), str(path)) from exc


def _abandoned(pid: str) -> bool:
    """Whether the build process a leftover file is named after has died."""
    return pid.isdigit() and not _alive(int(pid))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def staleness(out_dir: Path, seeds_dir: Path, model: str, params: ChunkParams) -> str | None:
    """Why the index must be rebuilt for these seeds, model and chunking; None when current."""
    try:
        manifest = read_manifest(out_dir)
    except IndexLoadError as exc:
        return str(exc)
    if manifest.get("format_version") != FORMAT_VERSION:
        return f"index format {manifest.get('format_version')} != {FORMAT_VERSION}"
    if manifest.get("model") != model:
        return f"index built with {manifest.get('model')}, not {model}"
    if manifest.get("chunking") != asdict(params):
        return "chunking parameters changed"
    if manifest.get("seeds") != seeds_fingerprint(seeds_dir):
        return f"articles in {seeds_dir} changed since the index was built"
    return None


def load(out_dir: Path, *, model: str, dimension: int) -> IndexStore:
    """Load the live generation after checking every file against the manifest."""
    return load_generation(current_generation(out_dir), model=model, dimension=dimension)


def load_servable(out_dir: Path, *, model: str, dimension: int) -> tuple[IndexStore, str | None]:
    """The live generation, or, when it cannot be loaded, the newest older one that can.

    Returns the store and, when it is an older generation, why the live one was refused
    (a service says so on /readyz and keeps answering). IndexLoadError, naming the live
    generation's problem, only when no generation on disk verifies.
    """
    try:
        return load(out_dir, model=model, dimension=dimension), None
    except IndexLoadError as live:
        for gen in older_generations(out_dir):
            try:
                store = load_generation(gen, model=model, dimension=dimension)
            except IndexLoadError as exc:
                log.warning("older index %s refused too: %s", gen.name, exc.reason)
                continue
            log.error("live index refused (%s): serving the older %s", live.reason, gen.name)
            return store, f"live index refused ({live.reason}); serving the older {gen.name}"
        raise


def load_generation(gen: Path, *, model: str, dimension: int) -> IndexStore:
    """Load one generation folder after checking every file against its manifest."""
    manifest = manifest_of(gen)
    if manifest.get("format_version") != FORMAT_VERSION:
        # (an older format lists its files differently: no use checking them one by one)
        raise refused(gen, [f"format {manifest.get('format_version')}, expected {FORMAT_VERSION}"])
    problems = []
    if manifest.get("model") != model:
        problems.append(f"built with model {manifest.get('model')}, expected {model}")
    if manifest.get("dimension") != dimension:
        problems.append(f"dimension {manifest.get('dimension')}, expected {dimension}")
    problems += check_files(gen, manifest, REQUIRED_FILES)
    if problems:
        raise refused(gen, problems)

    docs = {}
    for row in read_jsonl(gen / "documents.jsonl"):
        for key in ("byline", "dateline"):
            row[key] = tuple(row[key]) if row.get(key) else None
        # (No second hash of each text: documents.jsonl as a whole matched the manifest.)
        doc = StoredDocument(**row)
        docs[doc.doc_id] = doc
    try:
        sentences, chunks = tables.read(gen, list(docs), [d.text for d in docs.values()])
    except (OSError, ValueError) as exc:
        raise IndexLoadError(
            f"cannot read the sentence and chunk tables of {gen} ({exc}); {REBUILD_HINT}",
            "the sentence and chunk tables cannot be read",
        ) from exc
    mapped = is_large(manifest)
    index = read_faiss(gen / "chunks.faiss", manifest.get("faiss", {}), mapped)
    sentence_index = read_faiss(
        gen / "sentences.faiss", manifest.get("faiss_sentences", {}), mapped
    )
    try:
        lexicon = Lexicon.read(gen, mapped)
        corpus_words = CorpusWords.read(gen / CORPUS_WORDS)
        chunk_bm25 = Bm25.load(gen / CHUNK_BM25, mapped)
        sentence_bm25 = Bm25.load(gen / SENTENCE_BM25, mapped)
        analyses = Analyses.read(gen, mapped)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexLoadError(
            f"cannot read the word lists, analyses or BM25 of {gen} ({exc}); {REBUILD_HINT}",
            "the word lists, analyses or BM25 cannot be read",
        ) from exc
    counts = manifest.get("counts", {})
    checks = [
        (len(docs), counts.get("documents"), "documents"),
        (len(chunks), counts.get("chunks"), "chunks"),
        (index.ntotal, counts.get("chunks"), "FAISS vectors"),
        (len(sentences), counts.get("sentences"), "sentences"),
        (sentence_index.ntotal, counts.get("sentences"), "sentence FAISS vectors"),
        (len(lexicon), counts.get("sentences"), "sentence word lists"),
        (chunk_bm25.size, counts.get("chunks"), "chunk BM25 rows"),
        (sentence_bm25.size, counts.get("sentences"), "sentence BM25 rows"),
        (len(analyses), counts.get("sentences"), "sentence analyses"),
    ]
    for got, want, what in checks:
        if got != want:
            raise IndexLoadError(
                f"{what}: {got} on disk, manifest says {want}; {REBUILD_HINT}",
                f"{what}: count differs from the manifest",
            )
    if index.d != dimension or sentence_index.d != dimension:
        raise IndexLoadError(
            f"vectors are not {dimension}-d; {REBUILD_HINT}",
            "vector dimension differs from the model's",
        )
    log.info("loaded index %s: %s", gen.name, counts)
    return IndexStore(
        manifest,
        docs,
        chunks,
        sentences,
        index,
        sentence_index,
        lexicon,
        corpus_words,
        chunk_bm25,
        sentence_bm25,
        gen,
        analyses,
    )


def is_large(manifest: dict[str, Any]) -> bool:
    """Whether a generation is past the exact-search size (an IVF index), and so mapped.

    Mapped, the worker processes share one copy of the arrays (the page cache) instead of
    holding one each; but a mapped file truncated under a running service kills every
    process that touches it with SIGBUS. Below ``ivf.FLAT_LIMIT`` chunks the arrays are
    small enough to read: the seed generation is 0.6 MiB in all, and at the
    flat limit (20,000 chunks) each flat FAISS index is 29 MiB a worker.
    """
    kinds = (manifest.get(key, {}).get("type") for key in ("faiss", "faiss_sentences"))
    return "IndexIVFFlat" in kinds


def read_faiss(path: Path, info: dict[str, Any], mapped: bool) -> faiss.Index:
    """The index read from its file, or mapped read-only when ``mapped`` (``is_large``).

    The file was just checked against the manifest, and a generation's files are never
    rewritten (a build writes a new folder; pruning an old one leaves a mapped file
    readable).
    """
    ivf = info.get("type") == "IndexIVFFlat"
    # flat: map its vector array; IVF: map its inverted lists (the flags are per kind)
    flags = faiss.IO_FLAG_READ_ONLY | (faiss.IO_FLAG_MMAP if ivf else faiss.IO_FLAG_MMAP_IFC)
    flags = flags if mapped else 0
    try:
        index = faiss.read_index(str(path), flags)
    except RuntimeError as exc:
        raise IndexLoadError(
            f"cannot read {path} ({exc}); {REBUILD_HINT}", "a FAISS index cannot be read"
        ) from exc
    invlists = faiss.extract_index_ivf(index).invlists if ivf else None
    if invlists is not None:
        lists = faiss.downcast_InvertedLists(invlists)
        if isinstance(lists, faiss.OnDiskInvertedLists):
            # its default 32 prefetch threads per search cost 4 ms here; the pages are shared
            lists.prefetch_nthread = 0
    if "nprobe" in info:
        faiss.extract_index_ivf(index).nprobe = int(info["nprobe"])
    return index


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The rows one at a time: a large index never holds every row's dict at once (orjson:
    the same objects as ``json``, in about half the time)."""
    try:
        with open(path, "rb") as fh:
            yield from (orjson.loads(line) for line in fh if line.strip())
    except (OSError, ValueError) as exc:
        raise IndexLoadError(f"cannot read {path} ({exc}); {REBUILD_HINT}") from exc
