"""`python -m eval.perf.growth`: build and serve real indexes of growing synthetic corpora.

For each size: the five seed articles plus N synthetic ones (``eval.perf.synth``, fixed seed)
are indexed by `python -m index build` in its own process (wall time, texts encoded per
second, peak RSS, bytes on disk), then served by `python -m service` (cold start, RSS) and
asked the eval questions over HTTP at 1 and 16 concurrent clients. The questions are about
the seed articles, which stay in every corpus, so each size answers the same questions.
Bounded: fixed sizes and request counts. Prints a table, writes JSON and a plot.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from eval.dataset import load as load_questions
from eval.perf import synth
from eval.perf.bench import run_build
from eval.perf.load import peak_rss_kib, pss_kib, rss_kib, run_load, serve
from eval.perf.machine import describe, short
from eval.perf.synth import write_corpus
from index import corpus as corpus_module
from index import sentences as sentences_module
from index.files import sha256_file, write_atomic
from index.store import current_generation, read_manifest, seeds_fingerprint

SIZES = (100, 1_000)
REQUESTS = {1: 200, 16: 480}


def build(corpus: Path, out: Path, resume: bool = False) -> dict[str, Any]:
    """`python -m index build` over ``corpus``: time, throughput, peak memory.

    From nothing, unless ``resume``: then the vectors an earlier, unfinished run of the same
    corpus cached are reused, and the time and texts encoded are this run's alone.
    """
    if resume:
        for old in out.glob("gen-*"):
            shutil.rmtree(old)
        (out / "CURRENT").unlink(missing_ok=True)
    else:
        shutil.rmtree(out, ignore_errors=True)  # no earlier generation, no cached vectors
    built = run_build(corpus, out)
    counts = read_manifest(out)["counts"]
    texts = counts["chunks"] + counts["sentences"]
    # every file, the BM25 folders' too (the rows measured up to 3c55330 left those out)
    size = sum(f.stat().st_size for f in current_generation(out).rglob("*") if f.is_file())
    return {
        "documents": counts["documents"],
        "chunks": counts["chunks"],
        "sentences": counts["sentences"],
        "build_s": round(built.seconds, 1),
        "texts_per_s": round(texts / built.seconds, 1),
        "encoded": built.encoded,
        "encoded_per_s": round(built.encoded / built.seconds, 1),
        "build_peak_rss_mib": round(built.peak_rss_mib, 1),
        "build_peak_anon_mib": round(built.peak_anon_mib, 1),
        "index_mib": round(size / 2**20, 1),
        "resumed": resume,
    }


CORPUS_MARK = ".synthetic.json"  # not *.txt: the index never reads it


def corpus_identity(seeds: Path, n: int, seed: int) -> dict[str, Any]:
    """What a synthetic corpus follows from: size, seed, the seed articles and the code."""
    code = (synth, corpus_module, sentences_module)
    return {
        "articles": n,
        "seed": seed,
        "seeds": seeds_fingerprint(seeds),
        "code_sha256": {
            Path(m.__file__ or "").name: sha256_file(Path(m.__file__ or "")) for m in code
        },
    }


def prepare_corpus(seeds: Path, corpus: Path, n: int, seed: int, reuse: bool) -> int:
    """The seeds plus ``n`` synthetic articles in ``corpus``; returns their words.

    With ``reuse`` (a resumed run), a corpus an earlier run finished writing for the same
    identity is kept as it is: 100,000 articles take minutes to generate and write again.
    The mark is written last, so a run stopped while writing leaves none.
    """
    mark = corpus / CORPUS_MARK
    identity = corpus_identity(seeds, n, seed)
    if reuse and mark.is_file():
        try:
            found = json.loads(mark.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            found = {}
        files = len(list(corpus.glob("*.txt")))
        words = found.get("words") if isinstance(found, dict) else None
        same = isinstance(found, dict) and found.get("identity") == identity
        if same and isinstance(words, int) and files == n + len(list(seeds.glob("*.txt"))):
            return words
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.copytree(seeds, corpus)
    words = write_corpus(seeds, corpus, n, seed=seed).words
    write_atomic(mark, json.dumps({"identity": identity, "words": words}).encode("utf-8"))
    return words


def update(seeds: Path, corpus: Path, out: Path, n: int, seed: int) -> dict[str, Any]:
    """One more article, and the index rebuilt over the cache the first build left."""
    (corpus / CORPUS_MARK).unlink(missing_ok=True)  # no longer the corpus it names
    write_corpus(seeds, corpus, 1, seed=seed, first=n)
    built = run_build(corpus, out)
    return {"update_s": round(built.seconds, 1), "update_encoded": built.encoded}


def serve_and_ask(index: Path, questions: list[str]) -> dict[str, Any]:
    with serve({"RAG_INDEX_DIR": str(index), "RAG_EMBED_CACHE_SIZE": "0"}, timeout=600) as srv:
        run_load(srv.url, 20, 2, questions)  # warm-up
        levels = {str(c): run_load(srv.url, n, c, questions).summary() for c, n in REQUESTS.items()}
        return {
            "cold_start_s": round(srv.started_s, 2),
            "server_rss_mib": round(rss_kib(srv.proc.pid) / 1024, 1),
            "server_peak_rss_mib": round(peak_rss_kib(srv.proc.pid) / 1024, 1),
            "server_pss_mib": round(pss_kib(srv.proc.pid) / 1024, 1),
            "levels": levels,
        }


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [r["articles"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(xs, [r["build_s"] for r in rows], "o-", label="index build (s)")
    ax1.plot(xs, [r["index_mib"] for r in rows], "s--", label="index on disk (MiB)")
    ax1.set_xlabel("articles")
    ax1.legend()
    for c, style in (("1", "o-"), ("16", "s--")):
        ax2.plot(xs, [r["levels"][c]["p50_ms"] for r in rows], style, label=f"{c} client(s) p50")
        ax2.plot(xs, [r["levels"][c]["p95_ms"] for r in rows], style, alpha=0.5, label=f"{c} p95")
    ax2.set_xlabel("articles")
    ax2.set_ylabel("/ask latency (ms)")
    ax2.legend()
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.grid(alpha=0.3)
    fig.suptitle("Cost as the corpus grows (synthetic articles + the 5 seeds), 2-core CPU")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| articles | chunks | sentences | build s | texts/s | distinct texts encoded/s "
        "| build RSS MiB (anonymous) | index MiB | +1 article: rebuild s, texts encoded "
        "| cold start s | server RSS MiB | server PSS MiB | 1 client p50/p95 ms | 16 clients req/s "
        "| 16 clients p50/p95 ms | commit | machine |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        one, many = r["levels"]["1"], r["levels"]["16"]
        pss = f"{r['server_pss_mib']:.0f}" if "server_pss_mib" in r else "not measured"
        lines.append(
            f"| {r['articles']:,} | {r['chunks']:,} | {r['sentences']:,} | {_build_s(r)} | "
            f"{r['texts_per_s']} | {r.get('encoded_per_s', '-')} | "
            f"{_build_rss(r)} | {r['index_mib']} | {_update(r)} | "
            f"{r['cold_start_s']} | {r['server_peak_rss_mib']:.0f} | {pss} | "
            f"{one['p50_ms']:.1f} / {one['p95_ms']:.1f} | {many['rps']:.0f} | "
            f"{many['p50_ms']:.1f} / {many['p95_ms']:.1f} | {r.get('commit', '?')} | "
            f"{short(r.get('machine'))} |"
        )
    return "\n".join(lines)


def _update(row: dict[str, Any]) -> str:
    if "update_s" not in row:
        return "not measured"
    return f"{row['update_s']}, {row['update_encoded']:,}"


def _build_rss(row: dict[str, Any]) -> str:
    """Peak RSS, and the anonymous part of it where measured: a large build maps gigabytes
    of vectors, whose resident pages the high-water mark counts but the kernel can drop."""
    anon = row.get("build_peak_anon_mib")
    peak = f"{row['build_peak_rss_mib']:,.0f}"
    return f"{peak} ({anon:,.0f})" if anon else peak


def _build_s(row: dict[str, Any]) -> str:
    return f"{row['build_s']} (resumed)" if row.get("resumed") else str(row["build_s"])


def _commit() -> str:
    """The code measured: the git commit, with '+dirty' for uncommitted changes."""
    git = shutil.which("git")
    if git is None:
        return "unknown"

    def run(*args: str) -> str:
        cmd = [git, *args]  # fixed git subcommands, no shell
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout  # noqa: S603

    try:
        head = run("rev-parse", "--short", "HEAD").strip()
        dirty = run("status", "--porcelain", "--untracked-files=no").strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m eval.perf.growth",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--articles", type=int, nargs="+", default=list(SIZES))
    p.add_argument("--seeds", type=Path, default=Path("seeds"))
    p.add_argument("--seed", type=int, default=0, help="generator seed")
    p.add_argument("--out", type=Path, default=Path("reports/growth.json"))
    p.add_argument("--plot", type=Path, default=Path("docs/growth.png"))
    p.add_argument("--work", type=Path, default=None, help="keep corpora and indexes here")
    p.add_argument(
        "--merge",
        action="store_true",
        help="keep the rows of other sizes already in --out (each row names its commit)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="with --work: reuse the corpus an earlier, stopped run of the same sizes wrote "
        "and the vectors and cuts it cached (a 100,000-article build spread over several "
        "sittings); the build time is this run's",
    )
    args = p.parse_args(argv)
    if args.resume and args.work is None:
        p.error("--resume needs --work (where the earlier run kept its index)")
    if min(args.articles) < 1 or max(args.articles) > 100_000:
        p.error("--articles must be 1-100000 (100k is hours of CPU encoding here)")
    questions = [it.question for it in load_questions()]
    kept: list[dict[str, Any]] = []
    if args.merge and args.out.is_file():
        kept = [r for r in json.loads(args.out.read_text()) if r["articles"] not in args.articles]
    rows: list[dict[str, Any]] = []
    text = ""
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        for n in sorted(set(args.articles)):
            corpus, index = work / f"corpus-{n}", work / f"index-{n}"
            words = prepare_corpus(args.seeds, corpus, n, args.seed, reuse=args.resume)
            row: dict[str, Any] = {"articles": n, "commit": _commit(), "machine": describe()}
            row["synthetic_words"] = words
            row |= build(corpus, index, args.resume)
            row |= serve_and_ask(index, questions)
            rows.append(row)
            # written as soon as a size is built and served, and again with its update: a
            # long run stopped part-way (the end of a sitting) keeps what it measured
            text = write_reports(sorted(kept + rows, key=lambda r: int(r["articles"])), args)
            row |= update(args.seeds, corpus, index, n, args.seed)
            print(f"{n} articles: {json.dumps(row)}", file=sys.stderr)
            text = write_reports(sorted(kept + rows, key=lambda r: int(r["articles"])), args)
    print(text)
    print(f"\nwrote {args.out}, {args.out.with_suffix('.md')}, {args.plot}")
    return 0


def write_reports(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    """JSON, the Markdown table and the plot of ``rows``; returns the table."""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2))
    text = table(rows)
    args.out.with_suffix(".md").write_text(text + "\n")
    plot(rows, args.plot)
    return text


if __name__ == "__main__":
    sys.exit(main())
