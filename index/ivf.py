"""The FAISS index over one set of vectors: exact while small, IVF past a size.

The core path's vectors -> searchable index step (``make_index``, called by
``index.store.save`` for the chunk and the sentence vectors). Up to ``FLAT_LIMIT`` vectors
the index is exact (``IndexFlatIP``); past it, an IVF index whose ``nprobe`` is raised until
recall@10 against exact search reaches ``TARGET_RECALL`` on probe queries, measured at
every build. Training its centroids is the slow part of a large build (k-means over
470,000 sample vectors into 7,342 lists took about 10 of the 22 minutes the sentence index
of 100,000 articles cost on this 2-core machine), so ``make_index`` may be handed
centroids trained before (a ``Pretrained``: ``index.scale.ivf_reuse`` offers the live
generation's, and carries over each vector's list); without them it trains.

Vectors are assigned to their lists here, with one matrix product per block and an
``argmax``, not by FAISS's own nearest-centroid search: the same lists up to exact ties,
3.9-4.1x faster on 400,000 sentence vectors of the 100,000-article index (FAISS's
per-block top-1 bookkeeping, not the product, was the cost). ``fill`` takes the lists of
the vectors whose list is already known, and assigns only the others.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import faiss
import numpy as np
from faiss.contrib.ivf_tools import add_preassigned

log = logging.getLogger(__name__)

FLAT_LIMIT = 20_000  # measured: exact search ~0.5 ms at 10k, ~2 ms at 34k, ~10 ms at 100k
TARGET_RECALL = 0.97  # tuned on 200 probe queries; the margin covers their sampling error
ASSIGN_BLOCK = 8192  # rows a block: 8,192 x 7,342 lists of scores is 240 MB
TRAIN_POINTS_PER_LIST = 64


class Pretrained(Protocol):
    """Centroids trained by an earlier build (``index.scale.ivf_reuse.Centroids``)."""

    def index(self, vectors: np.ndarray) -> tuple[faiss.IndexIVFFlat, dict[str, Any]] | None:
        """An IVF index over them holding ``vectors``, and its manifest entry (``fill``'s,
        and what trained the centroids); None when they do not serve these vectors, and
        ``make_index`` trains afresh."""
        ...


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
    vectors: np.ndarray, flat_limit: int | None = None, reuse: Pretrained | None = None
) -> tuple[faiss.Index, dict[str, Any]]:
    """Exact inner product while small; past ``flat_limit`` an IVF index (nlist = 4 sqrt n)
    whose nprobe is raised until recall@10 against exact search reaches 0.97, measured.

    ``reuse``: centroids trained before, taken instead of k-means when they serve these
    vectors (``Pretrained.index``). The choice, its parameters, the measured recall and
    where the centroids came from go into the manifest. An IVF index keeps a map from id
    to list (8 bytes a vector), so a vector can be read back by id: the vectors are stored
    once, in the index, not again beside it.
    """
    n, dim = vectors.shape
    if n <= (FLAT_LIMIT if flat_limit is None else flat_limit):
        index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return index, {"type": "IndexFlatIP", "metric": "inner_product"}
    if reuse is not None:
        made = reuse.index(vectors)
        if made is not None:
            return made
    rng = np.random.default_rng(0)
    centroids = _train(vectors, int(4 * np.sqrt(n)), rng)
    ivf, info = fill(vectors, centroids, rng)
    return ivf, {**info, "trained_for": n, "centroids_from": None}


def _train(vectors: np.ndarray, nlist: int, rng: np.random.Generator) -> np.ndarray:
    """FAISS's k-means for an inner-product IVF (spherical) on a sample of the vectors."""
    n, dim = vectors.shape
    sample = rng.choice(n, size=min(n, nlist * TRAIN_POINTS_PER_LIST), replace=False)
    quantizer = faiss.IndexFlatIP(dim)
    trainer = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    trainer.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
    return np.ascontiguousarray(quantizer.reconstruct_n(0, nlist), dtype=np.float32)


def fill(
    vectors: np.ndarray,
    centroids: np.ndarray,
    rng: np.random.Generator,
    known: np.ndarray | None = None,
) -> tuple[faiss.IndexIVFFlat, dict[str, Any]]:
    """An IVF index over ``centroids`` holding ``vectors``, its nprobe tuned to the recall.

    ``known``: each vector's list when already known (-1 where not), from an index over
    these same centroids (``index.scale.ivf_reuse.carried``); only the others are assigned.
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
