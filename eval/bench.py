"""`python -m eval.bench`: latency and throughput of the real service, measured side by side.

Bounded and local (127.0.0.1 only): an in-process floor (encode one question + FAISS
search), then `/ask` over HTTP against `python -m service` in its own process at 1, 4, 16
and 64 concurrent clients with fixed request counts, once with micro-batching and once
with the one-request-at-a-time baseline (RAG_BATCHING=false); cold start, index build time
and peak memory. Prints one Markdown table, writes JSON and a latency-vs-concurrency PNG.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.dataset import load as load_questions
from eval.load import peak_rss_kib, run_load, serve

LEVELS = {1: 300, 4: 400, 16: 800, 64: 1280}  # concurrency -> requests (fixed counts)


def floor_ms(index_dir: Path, questions: list[str], rounds: int) -> dict[str, float]:
    """Median cost of the unavoidable part: encode one question (batch 1) + FAISS search."""
    from index.embed import Embedder
    from index.store import load

    enc = Embedder(threads=1)
    store = load(index_dir, model=enc.name, dimension=enc.dimension)
    enc.encode(["warm up"], batch_size=1)
    enc_t, search_t = [], []
    for i in range(rounds):
        q = questions[i % len(questions)]
        t0 = time.perf_counter()
        v = enc.encode([q], batch_size=1)[0]
        t1 = time.perf_counter()
        store.search(v, 5)
        t2 = time.perf_counter()
        enc_t.append((t1 - t0) * 1000)
        search_t.append((t2 - t1) * 1000)
    return {
        "encode_ms": round(statistics.median(enc_t), 3),
        "search_ms": round(statistics.median(search_t), 4),
        "floor_ms": round(
            statistics.median([a + b for a, b in zip(enc_t, search_t, strict=True)]), 3
        ),
    }


def build_cost(seeds: Path) -> dict[str, float]:
    """Wall time and peak RSS of `python -m index build` in its own process."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", "index", "build", "--seeds", str(seeds), "--out", tmp],
            stdout=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        if status != 0:
            raise RuntimeError("index build failed")
    return {"build_s": round(seconds, 2), "build_peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}


def serve_and_load(env: dict[str, str], questions: list[str]) -> dict[str, Any]:
    with serve({**env, "RAG_EMBED_CACHE_SIZE": "0"}) as srv:
        run_load(srv.url, 40, 4, questions)  # warm-up
        levels = {}
        for clients, n in LEVELS.items():
            levels[str(clients)] = run_load(srv.url, n, clients, questions).summary()
        return {
            "cold_start_s": round(srv.started_s, 2),
            "levels": levels,
            "server_peak_rss_mib": round(peak_rss_kib(srv.proc.pid) / 1024, 1),
        }


def table(report: dict[str, Any]) -> str:
    f = report["floor"]
    lines = [
        f"In-process floor (encode 1 question + FAISS top-5, median of {report['rounds']}): "
        f"**{f['floor_ms']:.2f} ms** (encode {f['encode_ms']:.2f} ms, search {f['search_ms']:.3f} ms)",
        "",
        "| mode | clients | requests | req/s | p50 ms | p95 ms | p99 ms | non-200 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for mode in ("batched", "baseline"):
        for clients, s in report[mode]["levels"].items():
            bad = {k: v for k, v in s["statuses"].items() if k != "200"}
            lines.append(
                f"| {mode} | {clients} | {s['requests']} | {s['rps']:.1f} | "
                f"{s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['p99_ms']:.1f} | "
                f"{bad or 0} |"
            )
    b, base = report["batched"], report["baseline"]
    ratio_1 = b["levels"]["1"]["p50_ms"] / f["floor_ms"]
    ratio_16 = b["levels"]["16"]["rps"] / base["levels"]["16"]["rps"]
    lines += [
        "",
        f"- 1 client: `/ask` p50 = **{ratio_1:.2f} x** the in-process floor",
        f"- 16 clients: batched throughput = **{ratio_16:.2f} x** the baseline; "
        f"p95 {b['levels']['16']['p95_ms']:.1f} ms",
        f"- cold start to /readyz 200: {b['cold_start_s']:.2f} s; server peak RSS "
        f"{b['server_peak_rss_mib']:.0f} MiB",
        f"- index build: {report['build']['build_s']:.1f} s, peak RSS "
        f"{report['build']['build_peak_rss_mib']:.0f} MiB",
    ]
    return "\n".join(lines)


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for mode, style in (("batched", "o-"), ("baseline", "s--")):
        levels = report[mode]["levels"]
        xs = [int(c) for c in levels]
        ax1.plot(xs, [levels[c]["p50_ms"] for c in levels], style, label=f"{mode} p50")
        ax1.plot(xs, [levels[c]["p95_ms"] for c in levels], style, alpha=0.5, label=f"{mode} p95")
        ax2.plot(xs, [levels[c]["rps"] for c in levels], style, label=mode)
    for ax in (ax1, ax2):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("concurrent clients")
        ax.legend()
        ax.grid(alpha=0.3)
    ax1.set_ylabel("latency (ms)")
    ax1.set_yscale("log")
    ax2.set_ylabel("requests / s")
    fig.suptitle("/ask over HTTP, 2-core CPU")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m eval.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--index", type=Path, default=Path(os.environ.get("RAG_INDEX_DIR", "var/index")))
    p.add_argument("--seeds", type=Path, default=Path("seeds"))
    p.add_argument("--rounds", type=int, default=300, help="in-process floor repetitions")
    p.add_argument("--out", type=Path, default=Path("reports"))
    p.add_argument("--plot", type=Path, default=Path("docs/latency.png"))
    p.add_argument("--quick", action="store_true", help="tiny request counts (a smoke run)")
    args = p.parse_args(argv)
    if args.quick:
        LEVELS.update({1: 20, 4: 20, 16: 32, 64: 64})
    questions = [it.question for it in load_questions()]
    report: dict[str, Any] = {"rounds": args.rounds}
    report["floor"] = floor_ms(args.index, questions, args.rounds)
    env = {"RAG_INDEX_DIR": str(args.index)}
    report["batched"] = serve_and_load({**env, "RAG_BATCHING": "true"}, questions)
    report["baseline"] = serve_and_load({**env, "RAG_BATCHING": "false"}, questions)
    report["build"] = build_cost(args.seeds)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(report, indent=2))
    text = table(report)
    (args.out / "bench.md").write_text(text + "\n")
    plot(report, args.plot)
    print(text)
    print(f"\nwrote {args.out / 'bench.json'}, {args.out / 'bench.md'}, {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
