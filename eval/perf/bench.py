"""`python -m eval.bench`: latency and throughput of the real service, measured side by side.

Bounded and local (127.0.0.1 only): an in-process floor (the torch encoder on one question
+ FAISS search), then `/ask` over HTTP against `python -m service` in its own process at 1,
4, 16 and 64 concurrent clients with fixed request counts, in four set-ups side by side:

- ``torch-baseline``: the plain server the issue starts from, one process with the torch
  encoder and each request encoded on its own (RAG_ENCODER_BACKEND=torch,
  RAG_BATCHING=false, RAG_WORKERS=1);
- ``unbatched``: the shipped pipeline with batching turned off (RAG_BATCHING=false): each
  request in a thread of its own, encoded on its own;
- ``one-process``: the shipped defaults in a single process (RAG_WORKERS=1);
- ``service``: the shipped defaults (int8 ONNX encoder, micro-batching, two processes).

All four run at once and take turns: each level's load runs ``--load-rounds`` times
(default 3) per set-up, the set-ups one after another within a round, so a ratio compares
set-ups measured minutes apart at most, not a whole benchmark apart on a VM whose speed
drifts. Then cold start, index build time and peak memory. The load generator (aiohttp)
runs in this process and its own CPU per request is reported: on a 2-core machine it
competes with the server. Prints one Markdown table, writes JSON and a
latency-vs-concurrency PNG.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.dataset import load as load_questions
from eval.perf.load import (
    LoadResult,
    PeakSampler,
    cpu_seconds,
    peak_rss_kib,
    pooled_summary,
    pss_kib,
    run_load,
    serve,
)
from eval.perf.machine import describe, short

LEVELS = {1: 300, 4: 400, 16: 800, 64: 1280}  # concurrency -> requests (fixed counts)
QUICK_LEVELS = {1: 20, 4: 20, 16: 32, 64: 64}  # --quick: a smoke run
MODES = {
    "torch-baseline": {
        "RAG_ENCODER_BACKEND": "torch",
        "RAG_BATCHING": "false",
        "RAG_WORKERS": "1",
        "RAG_WORKER_THREADS": "2",
    },
    "unbatched": {"RAG_BATCHING": "false"},
    "one-process": {"RAG_WORKERS": "1"},
    "service": {},
}


def floor_ms(index_dir: Path, questions: list[str], rounds: int) -> dict[str, float]:
    """Median cost of the unavoidable part: encode one question (batch 1) + FAISS search."""
    from index.embed import Embedder
    from index.store import load, read_manifest

    enc = Embedder(threads=1, backend="torch")
    # FAISS costs the same whichever encoder wrote the vectors: search the index as built.
    store = load(index_dir, model=read_manifest(index_dir)["model"], dimension=enc.dimension)
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


@dataclass(frozen=True)
class Built:
    seconds: float  # wall time of the build process
    peak_rss_mib: float  # its high-water mark, mapped files' resident pages included
    encoded: int  # distinct texts the encoder ran on; repeats and cached rows cost nothing
    peak_anon_mib: float = 0.0  # the most anonymous memory it and its workers held (sampled)


def run_build(seeds: Path, out: Path) -> Built:
    """`python -m index build` in its own process, as a user runs it."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as said:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", "index", "build", "--seeds", str(seeds), "--out", str(out)],
            stdout=said,
        )
        sampler = PeakSampler(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
        anon_kib = sampler.stop()
        seconds = time.perf_counter() - t0
        said.seek(0)
        summary = said.read()
    if status != 0:
        raise RuntimeError(f"index build over {seeds} failed")
    encoded = re.search(r"\((\d+) texts encoded", summary)
    if encoded is None:
        raise RuntimeError(f"index build over {seeds} said {summary!r}, not how much it encoded")
    return Built(seconds, usage.ru_maxrss / 1024, int(encoded.group(1)), anon_kib / 1024)


def build_cost(seeds: Path) -> dict[str, float]:
    """Wall time and peak memory of building the seeds' index."""
    with tempfile.TemporaryDirectory() as tmp:
        built = run_build(seeds, Path(tmp))
    return {
        "build_s": round(built.seconds, 2),
        "build_peak_rss_mib": round(built.peak_rss_mib, 1),
        "build_peak_anon_mib": round(built.peak_anon_mib, 1),
    }


def serve_and_load(
    setups: dict[str, dict[str, str]],
    questions: list[str],
    rounds: int,
    trees: dict[str, Path] | None = None,
) -> dict[str, dict[str, Any]]:
    """Every set-up served at once, each level's loads interleaved round by round.

    The machines here are shared VMs whose speed drifts by tens of percent within minutes:
    set-ups loaded one after another measured the drift as much as the code. Here each
    round loads every set-up in turn (the order rotating from round to round), so the
    set-ups meet the same moments, and the rounds are pooled (``pooled_summary``). The
    servers start one after another (cold start measured with the others idle) and wait
    idle while another is loaded. ``trees``: set-ups served from another source tree.
    """
    with ExitStack() as stack:
        servers = {}
        for mode, env in setups.items():
            cwd = (trees or {}).get(mode)
            srv = stack.enter_context(serve({**env, "RAG_EMBED_CACHE_SIZE": "0"}, cwd=cwd))
            run_load(srv.url, 40, 4, questions)  # warm-up
            servers[mode] = srv
        modes = list(setups)
        runs: dict[tuple[str, int], list[tuple[LoadResult, float]]] = {}
        for clients, n in LEVELS.items():
            for r in range(rounds):
                for mode in modes[r % len(modes) :] + modes[: r % len(modes)]:
                    pid = servers[mode].proc.pid
                    cpu0 = cpu_seconds(pid)
                    result = run_load(servers[mode].url, n, clients, questions)
                    runs.setdefault((mode, clients), []).append((result, cpu_seconds(pid) - cpu0))
        report = {}
        for mode, srv in servers.items():
            levels = {}
            for clients in LEVELS:
                summary = pooled_summary([result for result, _ in runs[mode, clients]])
                cpu_s = sum(cpu for _, cpu in runs[mode, clients])
                server_cpu = round(1000 * cpu_s / summary["requests"], 3)
                levels[str(clients)] = {**summary, "server_cpu_ms_per_request": server_cpu}
            report[mode] = {
                "cold_start_s": round(srv.started_s, 2),
                "levels": levels,
                "server_peak_rss_mib": round(peak_rss_kib(srv.proc.pid) / 1024, 1),
                "server_pss_mib": round(pss_kib(srv.proc.pid) / 1024, 1),
            }
        return report


def paired(report: dict[str, Any], mode: str, other: str, level: str = "16") -> list[float]:
    """``mode``'s requests/s over ``other``'s, round by round (the two ran minutes apart at
    most): the spread of a ratio, where a ratio of medians would hide it."""
    ours, theirs = (report[m]["levels"][level]["rps_rounds"] for m in (mode, other))
    return [a / b for a, b in zip(ours, theirs, strict=True) if b]


def table(report: dict[str, Any]) -> str:
    f = report["floor"]
    lines = [
        f"Machine: {short(report.get('machine'))}, {report.get('machine', {}).get('cores', '?')} "
        "logical cores",
        "",
        f"In-process torch floor (encode 1 question + FAISS top-5, median of {report['rounds']}): "
        f"**{f['floor_ms']:.2f} ms** (encode {f['encode_ms']:.2f} ms, search {f['search_ms']:.3f} ms)",
        "",
        "| set-up | clients | requests | req/s | p50 ms | p95 ms | p99 ms | server CPU ms/req "
        "| client CPU ms/req | non-200 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for mode in [m for m in (*MODES, "against") if m in report]:
        for clients, s in report[mode]["levels"].items():
            bad = {k: v for k, v in s["statuses"].items() if k != "200"}
            lines.append(
                f"| {mode} | {clients} | {s['requests']} | {s['rps']:.1f} | "
                f"{s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['p99_ms']:.1f} | "
                f"{s['server_cpu_ms_per_request']:.2f} | {s['client_cpu_ms_per_request']:.2f} | "
                f"{bad or 0} |"
            )
    svc, base = report["service"], report["torch-baseline"]
    rounds = report["load_rounds"]
    lines += [
        "",
        f"Requests are summed over {rounds} round(s) per level, the set-ups taking turns in "
        "each; req/s is the median round's, latencies are of all rounds' requests pooled.",
        "",
        f"- 1 client: `/ask` p50 = **{svc['levels']['1']['p50_ms'] / f['floor_ms']:.2f} x** "
        "the in-process torch floor (the whole answer, reading included)",
        f"- 16 clients: the service does **{_ratio(report, 'service', 'torch-baseline')}** "
        f"the torch one-request-at-a-time baseline's requests/s, p95 "
        f"{svc['levels']['16']['p95_ms']:.1f} ms; {_ratio(report, 'service', 'unbatched')} the "
        f"same pipeline unbatched; one process: {_ratio(report, 'one-process', 'torch-baseline')} "
        "the torch baseline",
        *(
            [
                f"- 16 clients against the base tree: {_ratio(report, 'service', 'against')} its "
                f"requests/s, p95 {svc['levels']['16']['p95_ms']:.1f} ms against "
                f"{report['against']['levels']['16']['p95_ms']:.1f} ms"
            ]
            if "against" in report
            else []
        ),
        f"- cold start to /readyz 200: {svc['cold_start_s']:.2f} s (torch baseline "
        f"{base['cold_start_s']:.2f} s, one process {report['one-process']['cold_start_s']:.2f} s); "
        f"server peak RSS {svc['server_peak_rss_mib']:.0f} MiB (torch {base['server_peak_rss_mib']:.0f} MiB), "
        f"PSS {svc.get('server_pss_mib', 0):.0f} MiB (pages the workers share counted once)",
        f"- index build: {report['build']['build_s']:.1f} s, peak RSS "
        f"{report['build']['build_peak_rss_mib']:.0f} MiB" + _anon(report["build"]),
    ]
    return "\n".join(lines)


def _ratio(report: dict[str, Any], mode: str, other: str) -> str:
    """The median round's ratio at 16 clients, with the range where there were several."""
    ratios = paired(report, mode, other)
    text = f"{statistics.median(ratios):.2f} x"
    return text if len(ratios) == 1 else f"{text} ({min(ratios):.2f}-{max(ratios):.2f})"


def _anon(build: dict[str, Any]) -> str:
    """The build's anonymous memory, when measured (older reports lack it)."""
    anon = build.get("build_peak_anon_mib")
    return f" ({anon:.0f} MiB of it anonymous, sampled)" if anon else ""


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    styles = {"torch-baseline": "s--", "unbatched": "^:", "one-process": "d-.", "service": "o-"}
    for mode, style in styles.items():
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
    p.add_argument(
        "--torch-index",
        type=Path,
        default=Path("var/index-torch"),
        help="index for the torch baseline (built here when missing or stale)",
    )
    p.add_argument("--seeds", type=Path, default=Path("seeds"))
    p.add_argument("--rounds", type=int, default=300, help="in-process floor repetitions")
    p.add_argument("--out", type=Path, default=Path("reports"))
    p.add_argument("--plot", type=Path, default=Path("docs/latency.png"))
    p.add_argument(
        "--load-rounds",
        type=int,
        default=3,
        help="rounds of every level's load, the set-ups taking turns within each (1-10)",
    )
    p.add_argument("--quick", action="store_true", help="tiny request counts (a smoke run)")
    p.add_argument(
        "--against",
        type=Path,
        help="also serve the shipped defaults from this source tree (set-up 'against'), "
        "e.g. `git worktree add /tmp/base <commit>`: a change measured beside its base",
    )
    args = p.parse_args(argv)
    if not 1 <= args.load_rounds <= 10:
        p.error("--load-rounds must be 1-10")
    if args.quick:
        LEVELS.update(QUICK_LEVELS)
    questions = [it.question for it in load_questions()]
    torch_build = [sys.executable, "-m", "index", "build", "--if-stale", "--backend", "torch"]
    subprocess.run(  # noqa: S603 - our own interpreter and module, no shell
        [*torch_build, "--seeds", str(args.seeds), "--out", str(args.torch_index)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    report: dict[str, Any] = {"rounds": args.rounds, "machine": describe()}
    report["floor"] = floor_ms(args.index, questions, args.rounds)
    setups = {
        mode: {
            **env,
            "RAG_INDEX_DIR": str(
                args.torch_index if env.get("RAG_ENCODER_BACKEND") == "torch" else args.index
            ),
        }
        for mode, env in MODES.items()
    }
    trees = {}
    if args.against is not None:
        setups["against"] = {"RAG_INDEX_DIR": str(args.index.resolve())}
        trees["against"] = args.against.resolve()
    report["load_rounds"] = args.load_rounds
    report |= serve_and_load(setups, questions, args.load_rounds, trees)
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
