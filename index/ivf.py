"""The FAISS index over one set of vectors: exact while small, IVF past a size.

An IVF index's ``nprobe`` is raised until recall@10 against exact search reaches
``TARGET_RECALL`` on probe queries, measured at every build. Training its centroids is
the slow part of a large build (k-means over 470,000 sample vectors into 7,342 lists took
about 10 of the 22 minutes the sentence index of 100,000 articles cost on this 2-core
machine), so a build over about as many vectors as the previous one reuses that one's
centroids (``Centroids``). It trains afresh once the corpus has grown or shrunk past
``REUSE_BAND``, or when the reused centroids need more than twice the probes they did
before or fill their lists much less evenly (a corpus that changed its character, not
just its size).

Vectors are assigned to their lists here, with one matrix product per block and an
``argmax``, not by FAISS's own nearest-centroid search: the same lists up to exact ties,
3.9-4.1x faster on 400,000 sentence vectors of the 100,000-article index (FAISS's
per-block top-1 bookkeeping, not the product, was the cost). With reused centroids, a
vector whose text the previous index held (the same span of the same file bytes) keeps
the list it had there (``carried``), so an update assigns only its new text's vectors.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np
from faiss.contrib.ivf_tools import add_preassigned

log = logging.getLogger(__name__)

FLAT_LIMIT = 20_000  # measured: exact search ~0.5 ms at 10k, ~2 ms at 34k, ~10 ms at 100k
TARGET_RECALL = 0.97  # tuned on 200 probe queries; the margin covers their sampling error
REUSE_BAND = (0.8, 1.25)  # vector counts, against what the centroids were trained for
REUSE_IMBALANCE = 1.5  # how much less evenly reused centroids may fill their lists
ASSIGN_BLOCK = 8192  # rows a block: 8,192 x 7,342 lists of scores is 240 MB
TRAIN_POINTS_PER_LIST = 64


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


def centroids_of(index: faiss.Index, trained_for: int, source: str) -> Centroids | None:
    """The centroids of an IVF ``index`` (None for a flat one)."""
    try:
        ivf = faiss.extract_index_ivf(index)
    except RuntimeError:
        return None
    vectors = np.ascontiguousarray(ivf.quantizer.reconstruct_n(0, ivf.nlist), dtype=np.float32)
    return Centroids(vectors, trained_for, ivf.nprobe, imbalance(list_sizes(ivf)), source)


def lists_of(index: faiss.Index) -> np.ndarray:
    """Each id's list in an IVF ``index``, from its id map (every index built here has one)."""
    ivf = faiss.extract_index_ivf(index)
    if ivf.direct_map.type != faiss.DirectMap.Array:  # type: ignore[attr-defined]
        raise ValueError("an IVF index without an id map")
    lists: np.ndarray = faiss.vector_to_array(ivf.direct_map.array) >> 32
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


def list_sizes(ivf: faiss.IndexIVF) -> np.ndarray:
    """How many vectors each of an IVF index's lists holds."""
    lists = ivf.invlists
    if lists is None:
        raise ValueError("an IVF index without inverted lists")
    return np.array([lists.list_size(i) for i in range(ivf.nlist)], dtype=np.int64)


def imbalance(sizes: np.ndarray) -> float:
    """FAISS's imbalance factor of list sizes: 1.0 when even; a search's work on average
    is this many times what it would be with even lists."""
    total = int(sizes.sum())
    return float(len(sizes) * np.square(sizes, dtype=np.float64).sum() / total**2) if total else 1.0


def probe_set(vectors: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """200 queries with a true near neighbour, and the 10th best exact score of each."""
    picks = rng.choice(len(vectors), size=min(200, len(vectors)), replace=False)
    noise = rng.normal(0, 0.02, size=(len(picks), vectors.shape[1])).astype(np.float32)
    queries = vectors[picks] + noise
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    k = min(10, len(vectors))
    best = np.full((len(queries), k), -np.inf, dtype=np.float32)
    for start in range(0, len(vectors), 65_536):  # blocks: never a queries x n matrix
        scores = queries @ vectors[start : start + 65_536].T
        both = np.concatenate([best, scores], axis=1)
        best = -np.partition(-both, k - 1, axis=1)[:, :k]
    return queries, best.min(axis=1)


def recall_at_10(
    index: faiss.Index, vectors: np.ndarray, queries: np.ndarray, kth: np.ndarray
) -> float:
    """Share of the approximate top 10 that belongs in the exact top 10.

    Scored, not matched by id: a result as close as the 10th exact one counts, whichever of
    several identical vectors it is. News repeats sentences word for word (wire copy,
    boilerplate), and ties between them are not misses.
    """
    _, ids = index.search(queries, 10)
    found = ids >= 0
    scores = np.einsum("qd,qkd->qk", queries, vectors[np.where(found, ids, 0)])
    hits = found & (scores >= kth[:, None] - 1e-5)
    return float(hits.sum() / (len(queries) * min(10, len(vectors))))


def assign(block: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Each row's list: the centroid of largest inner product (the first of equals)."""
    return np.asarray((block @ centroids.T).argmax(axis=1), dtype=np.int64)


def make_index(
    vectors: np.ndarray, flat_limit: int | None = None, reuse: Centroids | None = None
) -> tuple[faiss.Index, dict[str, Any]]:
    """Exact inner product while small; past ``flat_limit`` an IVF index (nlist = 4 sqrt n)
    whose nprobe is raised until recall@10 against exact search reaches 0.97, measured.

    ``reuse``: the previous build's centroids, used when they fit this many vectors, still
    reach the recall within twice their old nprobe and fill the lists about as evenly as
    before (within ``REUSE_IMBALANCE``). The choice, its parameters, the
    measured recall and where the centroids came from go into the manifest. An IVF index
    keeps a map from id to list (8 bytes a vector), so a vector can be read back by id: the
    vectors are stored once, in the index, not again beside it.
    """
    n, dim = vectors.shape
    if n <= (FLAT_LIMIT if flat_limit is None else flat_limit):
        index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return index, {"type": "IndexFlatIP", "metric": "inner_product"}
    if reuse is not None and reuse.fit(n, dim):
        ivf, info = _filled(vectors, reuse.vectors, np.random.default_rng(0), reuse.known)
        if (
            info["recall@10"] >= TARGET_RECALL
            and info["nprobe"] <= 2 * reuse.nprobe
            and info["imbalance"] <= REUSE_IMBALANCE * reuse.imbalance
        ):
            log.info(
                "reused the %d centroids of %s (trained for %d vectors, now %d)",
                len(reuse.vectors),
                reuse.source,
                reuse.trained_for,
                n,
            )
            return ivf, {**info, "trained_for": reuse.trained_for, "centroids_from": reuse.source}
        log.info(
            "the centroids of %s give recall@10 %.3f at nprobe %d, imbalance %.2f (before: "
            "nprobe %d, imbalance %.2f): training afresh",
            reuse.source,
            info["recall@10"],
            info["nprobe"],
            info["imbalance"],
            reuse.nprobe,
            reuse.imbalance,
        )
    rng = np.random.default_rng(0)
    centroids = _train(vectors, int(4 * np.sqrt(n)), rng)
    ivf, info = _filled(vectors, centroids, rng)
    return ivf, {**info, "trained_for": n, "centroids_from": None}


def _train(vectors: np.ndarray, nlist: int, rng: np.random.Generator) -> np.ndarray:
    """FAISS's k-means for an inner-product IVF (spherical) on a sample of the vectors."""
    n, dim = vectors.shape
    sample = rng.choice(n, size=min(n, nlist * TRAIN_POINTS_PER_LIST), replace=False)
    quantizer = faiss.IndexFlatIP(dim)
    trainer = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    trainer.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
    return np.ascontiguousarray(quantizer.reconstruct_n(0, nlist), dtype=np.float32)


def _filled(
    vectors: np.ndarray,
    centroids: np.ndarray,
    rng: np.random.Generator,
    known: np.ndarray | None = None,
) -> tuple[faiss.IndexIVFFlat, dict[str, Any]]:
    """An IVF index over ``centroids`` holding ``vectors``, its nprobe tuned to the recall.

    ``known``: each vector's list when already known (-1 where not), from an index over
    these same centroids; only the others are assigned.
    """
    n, dim = vectors.shape
    nlist = len(centroids)
    if known is not None and (len(known) != n or (n and int(known.max()) >= nlist)):
        log.warning("not carrying lists: %d known for %d vectors in %d lists", len(known), n, nlist)
        known = None
    quantizer = faiss.IndexFlatIP(dim)
    quantizer.add(centroids)
    ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    assigned = 0
    for start in range(0, n, ASSIGN_BLOCK):
        block = np.ascontiguousarray(vectors[start : start + ASSIGN_BLOCK], dtype=np.float32)
        if known is None:
            lists = assign(block, centroids)
            fresh = len(block)
        else:
            lists = known[start : start + ASSIGN_BLOCK].copy()
            new = lists < 0
            fresh = int(new.sum())
            if fresh:
                lists[new] = assign(block[new], centroids)
        assigned += fresh
        add_preassigned(ivf, block, lists)
    if known is not None:
        log.info("%d of %d vectors kept their lists; %d assigned", n - assigned, n, assigned)
    ivf.make_direct_map()
    queries, kth = probe_set(vectors, rng)
    nprobe, recall = 16, 0.0
    while True:
        ivf.nprobe = nprobe
        recall = recall_at_10(ivf, vectors, queries, kth)
        if recall >= TARGET_RECALL or nprobe >= nlist:
            break
        nprobe = min(nlist, nprobe * 2)
    info = {
        "type": "IndexIVFFlat",
        "metric": "inner_product",
        "nlist": nlist,
        "nprobe": nprobe,
        "recall@10": round(recall, 4),
        "imbalance": round(imbalance(list_sizes(ivf)), 3),
        "assigned": assigned,  # vectors put in their lists by this build, not carried over
    }
    return ivf, info
