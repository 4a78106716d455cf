"""Aggregate per-question results into the tables that `python -m eval` prints and writes.

Every figure is given per split. Per-question rows are kept for dev only: test is read as
totals, so that nobody tunes the reader to its items.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eval.dataset import SPLITS, TYPES
from eval.metrics import (
    best_em,
    best_f1,
    citation_valid,
    first_relevant_rank,
    normalize_answer,
    percentile,
    recall_at_k,
    reciprocal_rank,
)
from eval.overlap import BORROWED, overlap
from eval.runner import Result
from eval.selective import answered_precision, calibration, consistency, risk_coverage


def score_one(r: Result, texts: dict[str, str], sentences: dict[str, list[str]]) -> dict[str, Any]:
    """Everything measured about one question."""
    body, it = r.response, r.item
    answer = body["answer"]
    retrieved = [p["doc_id"] for p in body["passages"]]
    rank = first_relevant_rank(retrieved, it.doc_ids) if it.answerable else None
    cit_ok = None
    if answer is not None:
        cit_ok = False
        if body["citations"]:
            c = body["citations"][0]
            cit_ok = citation_valid(
                texts.get(c["doc_id"], ""), c["quote"], c["start"], c["end"], answer
            )
    return {
        "id": it.id,
        "split": it.split,
        "type": it.type,
        "group": it.group,
        "question": it.question,
        "gold": it.answers,
        "doc_ids": it.doc_ids,
        "answer": answer,
        "normalized": normalize_answer(answer or ""),
        "raw_answer": r.raw_answer,
        "confidence": body["confidence"],
        "em": best_em(it.answers, answer),
        "f1": round(best_f1(it.answers, answer), 4),
        "raw_f1": round(best_f1(it.answers, r.raw_answer), 4) if it.answerable else 0.0,
        "overlap": overlap(it, sentences),
        "rank": rank,
        "citation_valid": cit_ok,
        "cited_docs": [c["doc_id"] for c in body["citations"]],
        "retrieved_docs": retrieved,
        "latency_ms": round(r.seconds * 1000, 2),
    }


def _mean(xs: Sequence[float]) -> float:
    return round(sum(xs) / len(xs), 4) if xs else 0.0


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r for r in rows if r["gold"]]
    unanswerable = [r for r in rows if not r["gold"]]
    answered = [r for r in rows if r["answer"] is not None]
    precision, coverage = answered_precision(rows)
    return {
        "n": len(rows),
        "em": _mean([r["em"] for r in rows]),
        "f1": _mean([r["f1"] for r in rows]),
        "answerable_em": _mean([r["em"] for r in answerable]),
        "answerable_f1": _mean([r["f1"] for r in answerable]),
        "recall@1": _mean([recall_at_k(r["rank"], 1) for r in answerable]),
        "recall@5": _mean([recall_at_k(r["rank"], 5) for r in answerable]),
        "mrr": _mean([reciprocal_rank(r["rank"]) for r in answerable]),
        "citation_validity": _mean([float(bool(r["citation_valid"])) for r in answered])
        if answered
        else 1.0,
        "answered_precision": precision,
        "coverage": coverage,
        "abstention_accuracy": _mean([float(r["answer"] is None) for r in unanswerable])
        if unanswerable
        else 1.0,
        "false_abstention": _mean([float(r["answer"] is None) for r in answerable]),
        "borrowed": _mean([float(r["overlap"] > BORROWED) for r in answerable]),
        "latency_p50_ms": round(percentile([r["latency_ms"] for r in rows], 50), 2),
        "latency_p95_ms": round(percentile([r["latency_ms"] for r in rows], 95), 2),
    }


def split_report(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    by_type = {t: summarise([r for r in rows if r["type"] == t]) for t in TYPES}
    overall = summarise(rows)
    overall.update(consistency(rows))
    cal = calibration(rows)
    overall["calibrated"] = float(all(b["ok"] for b in cal))
    return {
        "overall": overall,
        "by_type": {t: s for t, s in by_type.items() if s["n"]},
        "calibration": cal,
        "risk_coverage": risk_coverage(rows),
    }


def build_report(
    results: Sequence[Result],
    texts: dict[str, str],
    sentences: dict[str, list[str]],
    threshold: float,
    corpus: str,
) -> dict[str, Any]:
    rows = [score_one(r, texts, sentences) for r in results]
    return {
        "corpus": corpus,
        "threshold": threshold,
        "splits": {s: split_report([r for r in rows if r["split"] == s]) for s in SPLITS},
        "questions": rows,
    }


COLUMNS = [
    ("n", "n"),
    ("em", "EM"),
    ("f1", "F1"),
    ("recall@5", "R@5"),
    ("citation_validity", "cite"),
    ("answered_precision", "ans prec"),
    ("coverage", "coverage"),
    ("abstention_accuracy", "abst acc"),
    ("borrowed", "borrowed"),
    ("latency_p50_ms", "p50 ms"),
]


def table(split: dict[str, Any]) -> str:
    """One Markdown table: by question type, then overall."""
    head = "| type | " + " | ".join(c[1] for c in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 1)]
    rows = [*split["by_type"].items(), ("overall", split["overall"])]
    for name, s in rows:
        cells = [
            str(s[k]) if k == "n" else f"{s[k]:.3f}" if "ms" not in k else f"{s[k]:.1f}"
            for k, _ in COLUMNS
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def calibration_table(split: dict[str, Any]) -> str:
    lines = ["| confidence | n | mean conf | precision | within 0.1 |", "|---|---|---|---|---|"]
    for b in split["calibration"]:
        if b["n"]:
            lines.append(
                f"| {b['bin']} | {b['n']} | {b['confidence']:.3f} | {b['precision']:.3f} | "
                f"{'yes' if b['ok'] else 'NO'} |"
            )
    return "\n".join(lines)


def headline(report: dict[str, Any]) -> str:
    """The figures the targets name, one line per split."""
    out = []
    for name in SPLITS:
        o = report["splits"][name]["overall"]
        out.append(
            f"{report['corpus']} {name}: n {o['n']}, EM {o['em']:.3f}, F1 {o['f1']:.3f}, "
            f"answered precision {o['answered_precision']:.3f}, coverage {o['coverage']:.3f}, "
            f"abstention accuracy {o['abstention_accuracy']:.3f}, R@5 {o['recall@5']:.3f}, "
            f"citations {o['citation_validity']:.3f}, consistency {o['consistent']:.3f} "
            f"({o['groups']} groups), calibrated {'yes' if o['calibrated'] else 'no'}"
        )
    return "\n".join(out)


def markdown(
    report: dict[str, Any],
    floors: dict[str, dict[str, float]],
    failures: list[str],
    show_test: bool = False,
) -> str:
    parts = [
        f"# Evaluation report: {report['corpus']}",
        "",
        f"Abstention threshold: {report['threshold']}",
        "",
        headline(report),
        "",
    ]
    for name in SPLITS:
        split = report["splits"][name]
        parts += [f"## {name}", "", table(split), "", "### Calibration", ""]
        parts += [calibration_table(split), ""]
    if "metadata" in report:
        parts += ["## Metadata found by ingestion", "", metadata_table(report["metadata"]), ""]
    parts += ["## Floors", ""]
    for split, bounds in floors.items():
        parts += [
            f"- {split} {k} >= {v}" if not k.startswith("max_") else f"- {split} {k[4:]} <= {v}"
            for k, v in bounds.items()
        ]
    parts += ["", f"Floors broken: {', '.join(failures) if failures else 'none'}", ""]
    shown = SPLITS if show_test else ("dev",)
    parts += [f"## Wrong answers ({', '.join(shown)} only)", ""]
    for r in report["questions"]:
        if r["split"] in shown and r["f1"] < 0.5:
            parts.append(
                f"- `{r['id']}` [{r['type']}] {r['question']!r}: got {r['answer']!r} "
                f"(conf {r['confidence']:.2f}, raw {r['raw_answer']!r}), gold {r['gold'][:3]!r}"
            )
    return "\n".join(parts) + "\n"


def metadata_table(meta: dict[str, Any]) -> str:
    lines = ["| field | right | of | share |", "|---|---|---|---|"]
    for field, m in meta["fields"].items():
        lines.append(f"| {field} | {m['right']} | {m['of']} | {m['share']:.3f} |")
    return "\n".join(lines)
