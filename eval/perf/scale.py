"""`python -m eval.perf.scale`: what retrieval costs as the corpus grows, up to 1M chunks.

Vectors: real chunk and sentence embeddings of the articles, recombined (two real vectors
mixed, plus noise, normalised) so the data keeps the clustered shape of real embeddings;
queries are perturbed database vectors, so each has a true near neighbour (as real
questions do). For each size: exact FAISS (IndexFlatIP) search time, and the IVF index the
store switches to past its flat limit (build time, search time, recall@10 against exact);
BM25 scoring time over synthetic chunk texts; memory per vector. Bounded: sizes and query
counts are fixed. Prints a table, writes JSON and a plot.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.ivf import make_index, recall_at_10

SIZES = (10_000, 100_000, 1_000_000)


def synthetic_vectors(base: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = base[rng.integers(0, len(base), n)]
    b = base[rng.integers(0, len(base), n)]
    w = rng.uniform(0.2, 0.8, size=(n, 1)).astype(np.float32)
    v = w * a + (1 - w) * b + rng.normal(0, 0.05, size=a.shape).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return np.ascontiguousarray(v, dtype=np.float32)


def _median_ms(fn: Any, queries: np.ndarray) -> float:
    times = []
    for q in queries:
        t0 = time.perf_counter()
        fn(q.reshape(1, -1))
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 3)


def faiss_curve(base: np.ndarray, sizes: tuple[int, ...], n_queries: int) -> list[dict[str, Any]]:
    faiss.omp_set_num_threads(1)
    rows = []
    for n in sizes:
        db = synthetic_vectors(base, n)
        rng = np.random.default_rng(1)
        picks = rng.integers(0, n, n_queries)
        queries = db[picks] + rng.normal(0, 0.02, size=(n_queries, db.shape[1])).astype(np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        flat = faiss.IndexFlatIP(db.shape[1])
        flat.add(db)
        exact, _ = flat.search(queries, 10)
        t0 = time.perf_counter()
        ivf, info = make_index(db, flat_limit=0)
        build_s = time.perf_counter() - t0
        recall = recall_at_10(ivf, db, queries, exact[:, -1])
        rows.append(
            {
                "vectors": n,
                "flat_ms": _median_ms(lambda q, f=flat: f.search(q, 10), queries),
                "ivf_ms": _median_ms(lambda q, i=ivf: i.search(q, 10), queries),
                "ivf_recall@10": round(recall, 4),
                "ivf_build_s": round(build_s, 1),
                "ivf": info,
                "memory_mib": round(db.nbytes / 2**20, 1),
            }
        )
        print(f"faiss {n:>9,}: {rows[-1]}", file=sys.stderr)
        del db, flat, ivf
    return rows


def bm25_curve(seeds: Path, sizes: tuple[int, ...], n_queries: int) -> list[dict[str, Any]]:
    from index.bm25 import Bm25
    from index.corpus import read_corpus, sentences_of
    from index.text import terms

    pool = [s.text for d in read_corpus(seeds) for s in sentences_of(d)]
    rng = random.Random(3)  # noqa: S311 - reproducible test data, not security
    rows = []
    for n in sizes:
        texts = [" ".join(rng.choice(pool) for _ in range(4)) for _ in range(n)]
        t0 = time.perf_counter()
        bm = Bm25.build([terms(t) for t in texts])
        index_s = time.perf_counter() - t0
        queries = [rng.choice(pool) for _ in range(n_queries)]
        times = []
        for q in queries:
            t0 = time.perf_counter()
            bm.top(q, 50)
            times.append((time.perf_counter() - t0) * 1000)
        rows.append(
            {
                "chunks": n,
                "index_s": round(index_s, 1),
                "query_ms": round(statistics.median(times), 2),
            }
        )
        print(f"bm25 {n:>9,}: {rows[-1]}", file=sys.stderr)
    return rows


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    f = report["faiss"]
    ax.plot([r["vectors"] for r in f], [r["flat_ms"] for r in f], "o-", label="FAISS flat (exact)")
    ax.plot(
        [r["vectors"] for r in f],
        [r["ivf_ms"] for r in f],
        "s-",
        label="FAISS IVF (nprobe tuned to recall@10 0.97)",
    )
    b = report["bm25"]
    ax.plot([r["chunks"] for r in b], [r["query_ms"] for r in b], "^--", label="BM25 (bm25s)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("chunks in the index")
    ax.set_ylabel("ms per query (1 thread)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m eval.perf.scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--index", type=Path, default=Path("var/index"))
    p.add_argument("--seeds", type=Path, default=Path("seeds"))
    p.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    p.add_argument("--bm25-sizes", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--out", type=Path, default=Path("reports/scale.json"))
    p.add_argument("--plot", type=Path, default=Path("docs/scale.png"))
    args = p.parse_args(argv)
    if max(args.sizes) > 2_000_000 or max(args.bm25_sizes) > 1_000_000:
        p.error("sizes are capped at 2M vectors and 1M BM25 chunks on this machine")
    from index.store import load, read_manifest

    store = load(args.index, model=read_manifest(args.index)["model"], dimension=384)
    base = np.vstack(
        [
            store.sentence_index.reconstruct_n(0, store.sentence_index.ntotal),
            store.chunk_index.reconstruct_n(0, store.chunk_index.ntotal),
        ]
    )
    report = {
        "faiss": faiss_curve(base.astype(np.float32), tuple(args.sizes), args.queries),
        "bm25": bm25_curve(args.seeds, tuple(args.bm25_sizes), args.queries),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    plot(report, args.plot)
    print("| vectors | flat ms | IVF ms | IVF recall@10 | IVF build s | vectors MiB |")
    print("|---|---|---|---|---|---|")
    for r in report["faiss"]:
        print(
            f"| {r['vectors']:,} | {r['flat_ms']} | {r['ivf_ms']} | {r['ivf_recall@10']} | "
            f"{r['ivf_build_s']} | {r['memory_mib']} |"
        )
    print("\n| BM25 chunks | index s | query ms |\n|---|---|---|")
    for r in report["bm25"]:
        print(f"| {r['chunks']:,} | {r['index_s']} | {r['query_ms']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
