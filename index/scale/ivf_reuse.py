"""IVF centroid reuse and carried lists: a large rebuild skips k-means, and a vector whose
text the live index held keeps its list.

Training an IVF index's centroids is the slow part of a large build (``index.ivf``), so a
build over about as many vectors as the previous one reuses that one's centroids
(``Centroids``, an ``index.ivf.Pretrained``). It trains afresh once the corpus has grown or
shrunk past ``REUSE_BAND``, or when the reused centroids need more than twice the probes
they did before or fill their lists much less evenly (a corpus that changed its character,
not just its size).

With reused centroids, a vector whose text the previous index held (the same span of the
same file bytes) keeps the list it had there (``carried``), so an update assigns only its
new text's vectors.

``live_centroids`` is what a build hands ``index.store.save`` (an
``index.store.CentroidSource``): the live generation's centroids, taken only from an intact
generation of the same format and model (``previous_centroids``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index import ivf
from index.files import load_npy
from index.generation import IndexLoadError, check_files, current_generation, manifest_of
from index.store import FAISS_INFO, FORMAT_VERSION, read_faiss, read_jsonl

log = logging.getLogger(__name__)

REUSE_BAND = (0.8, 1.25)  # vector counts, against what the centroids were trained for
REUSE_IMBALANCE = 1.5  # how much less evenly reused centroids may fill their lists


@dataclass(frozen=True)
class Centroids:
    """An IVF index's trained centroids and what they were trained for, kept so that the
    next build over about as many vectors can skip k-means."""

    vectors: np.ndarray  # (nlist, dim) float32
    trained_for: int  # the vector count of the build that trained them
    nprobe: int  # what the index they came from probed to reach its recall
    imbalance: float  # how unevenly that index filled its lists (1.0: evenly)
    source: str  # where they came from (a generation's name), for the manifest
    # For each vector of the build that reuses them: its list in the index they came from
    # when that index held its text, else -1 (``carried``); None: assign every vector.
    known: np.ndarray | None = None

    def fit(self, n: int, dim: int) -> bool:
        """Whether an index of ``n`` vectors of ``dim`` may reuse them."""
        low, high = REUSE_BAND
        return (
            self.vectors.shape[1] == dim and low * self.trained_for <= n <= high * self.trained_for
        )

    def index(self, vectors: np.ndarray) -> tuple[faiss.IndexIVFFlat, dict[str, Any]] | None:
        """An IVF index over these centroids holding ``vectors`` (those of ``known`` in
        their lists), when the centroids fit this many vectors, still reach the recall
        within twice their old nprobe and fill the lists about as evenly as before (within
        ``REUSE_IMBALANCE``); else None, and ``index.ivf.make_index`` trains afresh."""
        n, dim = vectors.shape
        if not self.fit(n, dim):
            return None
        index, info = ivf.fill(vectors, self.vectors, np.random.default_rng(0), self.known)
        if (
            info["recall@10"] >= ivf.TARGET_RECALL
            and info["nprobe"] <= 2 * self.nprobe
            and info["imbalance"] <= REUSE_IMBALANCE * self.imbalance
        ):
            log.info(
                "reused the %d centroids of %s (trained for %d vectors, now %d)",
                len(self.vectors),
                self.source,
                self.trained_for,
                n,
            )
            return index, {**info, "trained_for": self.trained_for, "centroids_from": self.source}
        log.info(
            "the centroids of %s give recall@10 %.3f at nprobe %d, imbalance %.2f (before: "
            "nprobe %d, imbalance %.2f): training afresh",
            self.source,
            info["recall@10"],
            info["nprobe"],
            info["imbalance"],
            self.nprobe,
            self.imbalance,
        )
        return None


def centroids_of(index: faiss.Index, trained_for: int, source: str) -> Centroids | None:
    """The centroids of an IVF ``index`` (None for a flat one)."""
    try:
        inner = faiss.extract_index_ivf(index)
    except RuntimeError:
        return None
    vectors = np.ascontiguousarray(inner.quantizer.reconstruct_n(0, inner.nlist), dtype=np.float32)
    return Centroids(
        vectors, trained_for, inner.nprobe, ivf.imbalance(ivf.list_sizes(inner)), source
    )


def lists_of(index: faiss.Index) -> np.ndarray:
    """Each id's list in an IVF ``index``, from its id map (every index built here has one)."""
    inner = faiss.extract_index_ivf(index)
    if inner.direct_map.type != faiss.DirectMap.Array:  # type: ignore[attr-defined]
        raise ValueError("an IVF index without an id map")
    lists: np.ndarray = faiss.vector_to_array(inner.direct_map.array) >> 32
    return lists


@dataclass(frozen=True)
class Rows:
    """What an index's vectors are the vectors of, in order: spans of documents known by
    the sha256 of their file's bytes. The same key means the same text, so, from one
    model, the same vector."""

    documents: Sequence[str]  # each document's file sha256, by document index
    spans: np.ndarray  # int64 (n, 3): document index, start, end; grouped by document


def _bounds(rows: Rows) -> np.ndarray | None:
    """Where each document's rows start (one more entry than documents), None when the rows
    are not grouped by document in order."""
    doc = rows.spans[:, 0]
    if len(doc) and (doc[0] < 0 or doc[-1] >= len(rows.documents) or np.any(np.diff(doc) < 0)):
        return None
    bounds: np.ndarray = np.searchsorted(doc, np.arange(len(rows.documents) + 1))
    return bounds


def carried(old: Rows, old_lists: np.ndarray, new: Rows) -> np.ndarray:
    """For each new row, the list ``old_lists`` gives the old row of the same text, or -1.

    Documents are matched by their bytes and rows by their offsets in them: the same span
    of the same file is the same text, wherever its document now stands. A document cut
    the same way again (nearly every one, in an update) is carried whole.
    """
    out = np.full(len(new.spans), -1, dtype=np.int64)
    old_bounds, new_bounds = _bounds(old), _bounds(new)
    if old_bounds is None or new_bounds is None or len(old_lists) != len(old.spans):
        return out
    where = {sha: i for i, sha in enumerate(old.documents)}
    for d, sha in enumerate(new.documents):
        o = where.get(sha)
        if o is None:
            continue
        start, stop = int(new_bounds[d]), int(new_bounds[d + 1])
        ostart, ostop = int(old_bounds[o]), int(old_bounds[o + 1])
        if stop - start == ostop - ostart and np.array_equal(
            new.spans[start:stop, 1:], old.spans[ostart:ostop, 1:]
        ):
            out[start:stop] = old_lists[ostart:ostop]
            continue
        was = {
            (int(a), int(b)): int(lst)
            for (a, b), lst in zip(
                old.spans[ostart:ostop, 1:], old_lists[ostart:ostop], strict=True
            )
        }
        for row in range(start, stop):
            out[row] = was.get((int(new.spans[row, 1]), int(new.spans[row, 2])), -1)
    return out


def previous_centroids(
    out_dir: Path, fname: str, *, model: str, dimension: int, rows: Rows | None = None
) -> Centroids | None:
    """The live generation's IVF centroids for ``fname``, for the next build to reuse:
    only when that generation is of this format, its vectors come from the same model (the
    same space), and the file matches its manifest.

    ``rows``: what the new build's vectors are of; each one whose text the live index holds
    gets the list it has there (``Centroids.known``), so the build need not assign it.
    """
    try:
        gen = current_generation(out_dir)
        manifest = manifest_of(gen)
    except IndexLoadError:
        return None
    key, counted, spans_file = FAISS_INFO[fname]
    info = manifest.get(key) or {}
    if (
        manifest.get("format_version") != FORMAT_VERSION
        or manifest.get("model") != model
        or manifest.get("dimension") != dimension
        or info.get("type") != "IndexIVFFlat"
    ):
        return None
    try:
        problems = check_files(gen, manifest, [fname])
        if problems:
            raise IndexLoadError("; ".join(problems))
        index = read_faiss(gen / fname, info, mapped=True)
        trained_for = int(info.get("trained_for") or manifest["counts"][counted])
        # the generation that trained them, when this one reused them in turn
        centroids = centroids_of(index, trained_for, info.get("centroids_from") or gen.name)
        if centroids is None or rows is None:
            return centroids
    except (IndexLoadError, KeyError, TypeError, ValueError) as exc:
        log.warning("not reusing the centroids of %s/%s: %s", gen.name, fname, exc)
        return None
    try:
        problems = check_files(gen, manifest, [spans_file, "documents.jsonl"])
        if problems:
            raise IndexLoadError("; ".join(problems))
        old = Rows(
            [row["sha256"] for row in read_jsonl(gen / "documents.jsonl")],
            load_npy(gen / spans_file, mapped=True)[:, :3],
        )
        known = carried(old, lists_of(index), rows)
    except (IndexLoadError, KeyError, TypeError, ValueError, IndexError) as exc:
        log.warning("assigning every vector: the lists of %s/%s: %s", gen.name, fname, exc)
        return centroids
    return dataclasses.replace(centroids, known=known)


def live_centroids(
    out_dir: Path,
    fname: str,
    *,
    model: str,
    dimension: int,
    documents: Sequence[str],
    spans: np.ndarray,
) -> Centroids | None:
    """``previous_centroids`` with the rows the build is writing: an
    ``index.store.CentroidSource``, what ``index.build`` hands ``index.store.save`` unless
    told to retrain."""
    return previous_centroids(
        out_dir, fname, model=model, dimension=dimension, rows=Rows(documents, spans)
    )
