"""`python -m eval`: score the service on the hand-written question set.

In-process by default (the same Pipeline the service uses); `--url` asks a running service.
Prints one table, writes a JSON and a Markdown report, and with `--check` exits 1 when a
metric is below its floor (floors live in eval/floors.json).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from eval.dataset import DATA, load, problems
from eval.report import build_report, markdown, table

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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m eval",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--url", help="ask a running service at this base URL instead")
    p.add_argument("--data", type=Path, default=DATA, help="question set (JSONL)")
    p.add_argument("--out", type=Path, default=Path("reports"), help="folder for the reports")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--check", action="store_true", help="exit 1 when a metric is below its floor")
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
    items = load(args.data)
    bad = problems(items, settings.seeds_dir)
    if bad:
        print("the question set is invalid:\n  " + "\n  ".join(bad), file=sys.stderr)
        return 2

    from eval.runner import in_process, over_http

    if args.url:
        run = over_http(args.url)
    else:
        from index.store import IndexLoadError
        from service.pipeline import Pipeline

        try:
            run = in_process(Pipeline.from_settings(settings))
        except IndexLoadError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    results = [run(it, args.top_k, settings.abstain_threshold) for it in items]
    report = build_report(results, settings.seeds_dir, settings.abstain_threshold)
    floors = json.loads(FLOORS.read_text())
    broken = check_floors(report["overall"], floors)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "eval.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    (args.out / "eval.md").write_text(markdown(report, floors, broken), encoding="utf-8")
    print(table(report))
    best = max(report["sweep"], key=lambda s: (s["f1"], -abs(s["threshold"] - 0.5)))
    print(
        f"\nbest no-answer threshold by F1: {best['threshold']:.2f} (F1 {best['f1']:.3f}); "
        f"in use: {settings.abstain_threshold}"
    )
    print(f"reports: {args.out / 'eval.json'}, {args.out / 'eval.md'}")
    if broken:
        print("floors broken: " + "; ".join(broken), file=sys.stderr)
        return 1 if args.check else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
