from __future__ import annotations

import dataclasses

import faiss
import numpy as np
import pytest

from index import ivf
from index.scale import ivf_reuse


def _clustered(
    rng: np.random.Generator, centres: np.ndarray, n: int, spread: float = 0.3
) -> np.ndarray:
    """Unit vectors around ``centres``: the clustered shape real embeddings have."""
    noise = spread * rng.normal(size=(n, centres.shape[1])).astype(np.float32)
    vectors = centres[rng.integers(0, len(centres), n)] + noise
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _lists(index: faiss.Index) -> np.ndarray:
    """The list each vector of an IVF index was put in, by id (through its direct map)."""
    inner = faiss.extract_index_ivf(index)
    return np.array([faiss.lo_listno(inner.direct_map.get(i)) for i in range(inner.ntotal)])


def _centroids(index: faiss.Index) -> np.ndarray:
    inner = faiss.extract_index_ivf(index)
    return inner.quantizer.reconstruct_n(0, inner.nlist)


def test_index_type_follows_the_size() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(3000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    flat, info = ivf.make_index(vectors, flat_limit=5000)
    assert info["type"] == "IndexFlatIP" and flat.ntotal == 3000
    index, info = ivf.make_index(vectors, flat_limit=1000)
    assert info["type"] == "IndexIVFFlat" and info["nlist"] == 219
    assert info["recall@10"] >= 0.95 and index.nprobe == info["nprobe"]
    assert info["trained_for"] == 3000 and info["centroids_from"] is None
    assert info["imbalance"] >= 1.0
    # queries with a true near neighbour find it through the IVF index
    queries = vectors[:50] + 0.01 * rng.normal(size=(50, 16)).astype(np.float32)
    _, got = index.search(queries, 1)
    assert (got[:, 0] == np.arange(50)).mean() >= 0.95


def test_vectors_go_to_the_list_faiss_itself_would_choose() -> None:
    """Lists are assigned by a matrix product and argmax instead of FAISS's own search: the
    same nearest centroid (up to exact ties), so the index is the one FAISS would build."""
    rng = np.random.default_rng(4)
    vectors = _clustered(rng, rng.normal(size=(30, 24)).astype(np.float32), 5000)
    index, info = ivf.make_index(vectors, flat_limit=1000)
    centroids = _centroids(index)
    quantizer = faiss.IndexFlatIP(24)
    quantizer.add(centroids)
    best, theirs = quantizer.search(vectors, 1)
    ours = _lists(index)
    assert np.array_equal(ours, ivf.assign(vectors, centroids))
    differ = ours != theirs[:, 0]
    # where they differ, the two centroids score the same for that vector
    mine = np.einsum("nd,nd->n", vectors[differ], centroids[ours[differ]])
    assert np.allclose(mine, best[differ, 0], atol=1e-6)
    assert differ.mean() < 0.01
    sizes = np.bincount(ours, minlength=info["nlist"])
    assert info["imbalance"] == round(ivf.imbalance(sizes), 3)
    assert ivf.imbalance(np.array([5, 5, 5, 5])) == 1.0
    assert ivf.imbalance(np.array([20, 0, 0, 0])) == 4.0


def test_a_build_of_about_as_many_vectors_reuses_the_centroids() -> None:
    rng = np.random.default_rng(5)
    centres = rng.normal(size=(40, 16)).astype(np.float32)
    vectors = _clustered(rng, centres, 3000)
    first, first_info = ivf.make_index(vectors, flat_limit=1000)
    kept = ivf_reuse.centroids_of(first, 3000, "gen-a")
    assert kept is not None and kept.nprobe == first_info["nprobe"]
    assert kept.imbalance == pytest.approx(first_info["imbalance"], abs=1e-3)
    assert ivf_reuse.centroids_of(faiss.IndexFlatIP(16), 3000, "gen-a") is None

    grown = np.concatenate([vectors, _clustered(rng, centres, 200)])
    index, info = ivf.make_index(grown, flat_limit=1000, reuse=kept)
    assert info["centroids_from"] == "gen-a" and info["trained_for"] == 3000
    assert info["nlist"] == first_info["nlist"] and index.ntotal == 3200
    assert np.array_equal(_centroids(index), kept.vectors)
    assert info["recall@10"] >= ivf.TARGET_RECALL
    assert np.array_equal(_lists(index)[:3000], _lists(first))  # the old vectors stay put
    queries = grown[-50:] + 0.01 * rng.normal(size=(50, 16)).astype(np.float32)
    _, got = index.search(queries, 1)
    assert (got[:, 0] == np.arange(3150, 3200)).mean() >= 0.95


@pytest.mark.parametrize("n", [2399, 3751])
def test_a_corpus_that_changed_size_trains_afresh(n: int) -> None:
    rng = np.random.default_rng(6)
    centres = rng.normal(size=(40, 16)).astype(np.float32)
    first, _ = ivf.make_index(_clustered(rng, centres, 3000), flat_limit=1000)
    kept = ivf_reuse.centroids_of(first, 3000, "gen-a")
    assert kept is not None and not kept.fit(n, 16) and kept.fit(3000, 16)
    _, info = ivf.make_index(_clustered(rng, centres, n), flat_limit=1000, reuse=kept)
    assert info["centroids_from"] is None and info["trained_for"] == n
    assert info["nlist"] == int(4 * np.sqrt(n))


def test_centroids_that_fit_the_corpus_badly_are_trained_afresh() -> None:
    """The same size but other content (three dense topics instead of forty): reused
    centroids would crowd most vectors into a few lists, so every search would scan far
    more of them."""
    rng = np.random.default_rng(5)
    centres = rng.normal(size=(40, 16)).astype(np.float32)
    first, _ = ivf.make_index(_clustered(rng, centres, 3000), flat_limit=1000)
    kept = ivf_reuse.centroids_of(first, 3000, "gen-a")
    assert kept is not None
    other = _clustered(rng, rng.normal(size=(3, 16)).astype(np.float32), 3000, spread=0.2)
    crowded = np.bincount(ivf.assign(other, kept.vectors), minlength=len(kept.vectors))
    assert ivf.imbalance(crowded) > ivf_reuse.REUSE_IMBALANCE * kept.imbalance
    _, info = ivf.make_index(other, flat_limit=1000, reuse=kept)
    assert info["centroids_from"] is None and info["trained_for"] == 3000
    assert info["imbalance"] <= ivf_reuse.REUSE_IMBALANCE * kept.imbalance
    # the same content, but the old index needed fewer probes than a build ever starts at
    same = _clustered(rng, centres, 3000)
    _, info = ivf.make_index(same, 1000, kept)
    assert info["centroids_from"] == "gen-a"
    strict = ivf_reuse.Centroids(kept.vectors, 3000, 4, kept.imbalance, "gen-b")
    _, info = ivf.make_index(same, 1000, strict)
    assert info["centroids_from"] is None


def test_duplicate_vectors_do_not_count_as_misses() -> None:
    """News repeats itself (wire copy, boilerplate): identical sentences embed identically.
    Which of two equal vectors a search returns is a tie, not a miss, so the tuner stops at a
    small nprobe instead of scanning every list."""
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(40, 32)).astype(np.float32)
    base = centres[rng.integers(0, 40, 1500)] + 0.3 * rng.normal(size=(1500, 32)).astype(np.float32)
    vectors = np.repeat(base, 4, axis=0)  # every vector four times over
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index, info = ivf.make_index(vectors, flat_limit=1000)
    assert info["type"] == "IndexIVFFlat" and info["recall@10"] >= 0.97
    assert info["nprobe"] < info["nlist"] // 4, info
    # the tie-aware recall still tells a bad index from a good one
    index.nprobe = 1
    queries, kth = ivf.probe_set(vectors, np.random.default_rng(3))
    assert ivf.recall_at_10(index, vectors, queries, kth) < info["recall@10"]


def _rows(documents: list[str], spans: list[tuple[int, int, int]]) -> ivf_reuse.Rows:
    return ivf_reuse.Rows(documents, np.array(spans, dtype=np.int64).reshape(-1, 3))


def test_a_row_keeps_its_list_only_where_the_same_file_was_cut_the_same_way() -> None:
    old = _rows(
        ["sha-a", "sha-b", "sha-c"],
        [(0, 0, 10), (0, 11, 20), (1, 0, 5), (2, 0, 8), (2, 9, 30)],
    )
    lists = np.array([7, 3, 1, 4, 4])
    new = _rows(
        ["sha-x", "sha-a", "sha-b2", "sha-c"],  # x is new, b was edited, c is cut anew
        [(0, 0, 4), (1, 0, 10), (1, 11, 20), (2, 0, 5), (3, 0, 8), (3, 9, 25), (3, 26, 30)],
    )
    # c's first span is the same text as before; its other spans are new
    assert ivf_reuse.carried(old, lists, new).tolist() == [-1, 7, 3, -1, 4, -1, -1]
    # moved documents keep their rows' lists, whatever their position now
    moved = _rows(["sha-c", "sha-a"], [(0, 0, 8), (0, 9, 30), (1, 0, 10), (1, 11, 20)])
    assert ivf_reuse.carried(old, lists, moved).tolist() == [4, 4, 7, 3]
    # rows not grouped by document, or lists that do not match the rows: nothing carried
    shuffled = _rows(["sha-a", "sha-c"], [(1, 0, 8), (0, 0, 10), (1, 9, 30), (0, 11, 20)])
    assert ivf_reuse.carried(old, lists, shuffled).tolist() == [-1] * 4
    assert ivf_reuse.carried(old, lists[:-1], new).tolist() == [-1] * 7
    outside = _rows(["sha-a"], [(0, 0, 10), (1, 11, 20)])  # a document index past the list
    assert ivf_reuse.carried(old, lists, outside).tolist() == [-1, -1]


def test_known_lists_are_kept_and_only_new_vectors_are_assigned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(40, 16)).astype(np.float32)
    vectors = _clustered(rng, centres, 3000)
    first, _ = ivf.make_index(vectors, flat_limit=1000)
    kept = ivf_reuse.centroids_of(first, 3000, "gen-a")
    assert kept is not None
    assert np.array_equal(ivf_reuse.lists_of(first), _lists(first))
    grown = np.concatenate([vectors[:1000], _clustered(rng, centres, 200), vectors[1000:]])
    known = np.concatenate(
        [ivf_reuse.lists_of(first)[:1000], np.full(200, -1), ivf_reuse.lists_of(first)[1000:]]
    )
    index, info = ivf.make_index(grown, 1000, dataclasses.replace(kept, known=known))
    assert info["centroids_from"] == "gen-a" and info["assigned"] == 200
    # the same lists as assigning every vector: carrying only skips the work
    assert np.array_equal(_lists(index), ivf.assign(grown, kept.vectors))
    _, plain = ivf.make_index(grown, 1000, kept)
    assert plain["assigned"] == 3200 and plain["nprobe"] == info["nprobe"]
    # known lists that cannot belong to these vectors are not used
    with caplog.at_level("WARNING", logger="index.ivf"):
        _, info = ivf.make_index(grown, 1000, dataclasses.replace(kept, known=known[:-1]))
    assert info["assigned"] == 3200 and "not carrying lists" in caplog.text
    beyond = known.copy()
    beyond[0] = len(kept.vectors)
    _, info = ivf.make_index(grown, 1000, dataclasses.replace(kept, known=beyond))
    assert info["assigned"] == 3200
