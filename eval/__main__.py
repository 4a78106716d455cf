"""`python -m eval`: score the service on a corpus's hand-written question set.

In-process by default (the same Pipeline the service uses); `--url` asks a running service.
`--corpus NAME` scores another corpus of eval/corpora/ over a throwaway index built for it
(`--corpus all`: every corpus). Prints the test totals and the dev table, writes a JSON and
a Markdown report and the risk-coverage curve, and with `--check` exits 1 when a figure is
below its floor (eval/floors.json, per corpus and split).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval.corpus import SEEDS, Corpus, corpus, names
from eval.dataset import article_texts, load, problems
from eval.report import build_report, headline, markdown, metadata_table, table

if TYPE_CHECKING:
    from eval.runner import Run

FLOORS = Path(__file__).parent / "floors.json"


def check_floors(overall: dict[str, Any], floors: dict[str, float]) -> list[str]:
    """Names of the floors broken (``max_`` keys are ceilings)."""
    broken = []
    for key, bound in floors.items():
        if key.startswith("max_"):
            if overall[key[4:]] > bound:
                broken.append(f"{key[4:]} {overall[key[4:]]:.3f} > {bound}")
        elif overall[key] < bound:
            broken.append(f"{key} {overall[key]:.3f} < {bound}")
    return broken


def check_report(report: dict[str, Any], floors: dict[str, dict[str, float]]) -> list[str]:
    """Every floor broken in any split, and in the metadata figures (``metadata`` key)."""
    broken = []
    for split, bounds in floors.items():
        if split == "metadata":
            shares = {
                k: v["share"] for k, v in report.get("metadata", {"fields": {}})["fields"].items()
            }
            broken += [f"metadata {b}" for b in check_floors(shares, bounds)] if shares else []
            continue
        broken += [f"{split} {b}" for b in check_floors(report["splits"][split]["overall"], bounds)]
    return broken


@contextmanager
def corpus_pipeline(c: Corpus, settings: Any, encoder: Any = None) -> Iterator[Any]:
    """The service's pipeline over the corpus: the configured index for the seeds, a
    throwaway one for any other corpus (built with the service's own encoder)."""
    from index.build import build_index
    from index.embed import Embedder
    from service.pipeline import Pipeline

    if c.name == SEEDS and c.articles == settings.seeds_dir:
        yield Pipeline.from_settings(settings, encoder=encoder)
        return
    encoder = encoder or Embedder(
        threads=settings.torch_threads,
        backend=settings.encoder_backend,
        onnx_dir=settings.model_dir,
    )
    with tempfile.TemporaryDirectory(prefix=f"eval-{c.name}-") as tmp:
        build_index(c.articles, Path(tmp), encoder)
        local = settings.model_copy(update={"index_dir": Path(tmp), "seeds_dir": c.articles})
        yield Pipeline.from_settings(local, encoder=encoder)


def evaluate(
    c: Corpus, settings: Any, data: Path | None = None, url: str | None = None, top_k: int = 5
) -> dict[str, Any]:
    """Ask every question of the corpus and score the answers, per split."""
    if url is not None:
        from eval.runner import over_http

        return score(c, over_http(url), None, settings.abstain_threshold, data, top_k)
    with corpus_pipeline(c, settings) as pipeline:
        return score_pipeline(c, pipeline, data, top_k)


def score_pipeline(
    c: Corpus, pipeline: Any, data: Path | None = None, top_k: int = 5
) -> dict[str, Any]:
    """The report of one in-process pipeline over the corpus, with ingestion's metadata;
    the pipeline decides when to abstain, at its own threshold."""
    from eval.runner import in_process

    return score(c, in_process(pipeline), pipeline, pipeline.threshold, data, top_k)


def score(
    c: Corpus,
    run: Run,
    pipeline: Any,
    threshold: float,
    data: Path | None = None,
    top_k: int = 5,
) -> dict[str, Any]:
    """Ask every question with ``run`` and build the report; ``threshold``: the one the
    answers were given at (reported, and marked on the risk-coverage curve)."""
    from eval.metadata import accuracy
    from eval.overlap import answer_sentences

    items = load(data or c.questions)
    bad = problems(items, c.articles)
    if bad:
        raise ValueError("the question set is invalid:\n  " + "\n  ".join(bad))
    texts = article_texts(c.articles)
    results = [run(it, top_k) for it in items]
    report = build_report(results, texts, answer_sentences(texts), threshold, c.name)
    if pipeline is not None and c.metadata.exists():
        report["metadata"] = accuracy(pipeline.store.documents, c.true_metadata())
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m eval",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--corpus", default=SEEDS, help=f"one of {', '.join(names())}, or all")
    p.add_argument("--url", help="ask a running service at this base URL instead")
    p.add_argument("--data", type=Path, help="another question set (JSONL) over the corpus")
    p.add_argument("--out", type=Path, default=Path("reports"), help="folder for the reports")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--check", action="store_true", help="exit 1 when a figure is below its floor")
    p.add_argument(
        "--show-test",
        action="store_true",
        help="list test questions in the report too (to debug a crash; never to tune)",
    )
    p.add_argument(
        "--export-feedback",
        type=Path,
        metavar="FILE",
        help="write the Slack 👎 clicks as draft eval items (JSONL) and exit",
    )
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    from service.config import get_settings

    settings = get_settings()
    if args.export_feedback:
        from service.feedback import FeedbackStore

        n = FeedbackStore(settings.feedback_db).export_eval_items(args.export_feedback)
        print(f"wrote {n} 👎 feedback item(s) to {args.export_feedback}")
        return 0
    wanted = names() if args.corpus == "all" else [args.corpus]
    floors_all = json.loads(FLOORS.read_text())
    status = 0
    for name in wanted:
        try:
            c = corpus(name, settings.seeds_dir)
            report = evaluate(c, settings, args.data, args.url, args.top_k)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except Exception as exc:  # the index cannot load: say so in one line
            from index.store import IndexLoadError

            if isinstance(exc, IndexLoadError):
                print(f"error: {exc}", file=sys.stderr)
                return 2
            raise
        floors = floors_all.get(name, {}) if args.data is None else {}
        broken = check_report(report, floors)
        status = max(status, _write(report, floors, broken, args))
    return status if args.check else 0


def _write(
    report: dict[str, Any],
    floors: dict[str, dict[str, float]],
    broken: list[str],
    args: argparse.Namespace,
) -> int:
    from eval.plot import risk_coverage_png

    name = report["corpus"]
    args.out.mkdir(parents=True, exist_ok=True)
    rows = report["questions"]
    saved = {**report, "questions": [r for r in rows if args.show_test or r["split"] == "dev"]}
    (args.out / f"eval-{name}.json").write_text(json.dumps(saved, indent=2, ensure_ascii=False))
    (args.out / f"eval-{name}.md").write_text(
        markdown(report, floors, broken, args.show_test), encoding="utf-8"
    )
    png = risk_coverage_png(report, args.out / f"risk-coverage-{name}.png")
    print(f"## {name}: dev\n\n{table(report['splits']['dev'])}\n")
    print(headline(report))
    if "metadata" in report:
        print("\n" + metadata_table(report["metadata"]))
        for w in report["metadata"]["wrong"]:
            print(f"  {w}")
    print(f"reports: {args.out / f'eval-{name}.json'}, {args.out / f'eval-{name}.md'}, {png}\n")
    if broken:
        print(f"{name}: floors broken: " + "; ".join(broken), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
