"""Aggregate per-question results into the tables that `python -m eval` prints and writes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.dataset import TYPES
from eval.metrics import (
    best_em,
    best_f1,
    citation_valid,
    first_relevant_rank,
    percentile,
    recall_at_k,
    reciprocal_rank,
)
from eval.runner import Result

THRESHOLDS = [round(i * 0.05, 2) for i in range(21)]
BUCKETS = [(0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.01)]


def score_one(r: Result, texts: dict[str, str]) -> dict[str, Any]:
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
        "type": it.type,
        "question": it.question,
        "gold": it.answers,
        "doc_ids": it.doc_ids,
        "answer": answer,
        "raw_answer": r.raw_answer,
        "confidence": body["confidence"],
        "em": best_em(it.answers, answer),
        "f1": round(best_f1(it.answers, answer), 4),
        "raw_f1": round(best_f1(it.answers, r.raw_answer), 4) if it.answerable else 0.0,
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
        "abstention_accuracy": _mean([float(r["answer"] is None) for r in unanswerable]),
        "false_abstention": _mean([float(r["answer"] is None) for r in answerable]),
        "latency_p50_ms": round(percentile([r["latency_ms"] for r in rows], 50), 2),
        "latency_p95_ms": round(percentile([r["latency_ms"] for r in rows], 95), 2),
    }


def sweep(rows: Sequence[dict[str, Any]]) -> list[dict[str, float]]:
    """What EM/F1 each no-answer threshold would give (answer iff confidence >= threshold)."""
    out = []
    for t in THRESHOLDS:
        f1s, ems, abst_ok, false_abst = [], [], [], []
        for r in rows:
            answers = r["confidence"] >= t
            if r["gold"]:
                f1s.append(r["raw_f1"] if answers else 0.0)
                ems.append(float(r["raw_f1"] == 1.0) if answers else 0.0)
                false_abst.append(float(not answers))
            else:
                f1s.append(0.0 if answers else 1.0)
                ems.append(0.0 if answers else 1.0)
                abst_ok.append(float(not answers))
        out.append(
            {
                "threshold": t,
                "f1": _mean(f1s),
                "em": _mean(ems),
                "abstention_accuracy": _mean(abst_ok),
                "false_abstention": _mean(false_abst),
            }
        )
    return out


def calibration(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Accuracy of the un-thresholded answer (F1 >= 0.5) per confidence bucket."""
    out = []
    for lo, hi in BUCKETS:
        inside = [r for r in rows if lo <= r["confidence"] < hi]
        correct = [float(bool(r["gold"]) and r["raw_f1"] >= 0.5) for r in inside]
        out.append(
            {"bucket": f"{lo:.1f}-{min(hi, 1.0):.1f}", "n": len(inside), "accuracy": _mean(correct)}
        )
    return out


def build_report(results: Sequence[Result], seeds_dir: Path, threshold: float) -> dict[str, Any]:
    texts = {p.stem: p.read_bytes().decode("utf-8") for p in seeds_dir.glob("*.txt")}
    rows = [score_one(r, texts) for r in results]
    by_type = {t: summarise([r for r in rows if r["type"] == t]) for t in TYPES}
    return {
        "threshold": threshold,
        "overall": summarise(rows),
        "by_type": {t: s for t, s in by_type.items() if s["n"]},
        "sweep": sweep(rows),
        "calibration": calibration(rows),
        "questions": rows,
    }


COLUMNS = [
    ("n", "n"),
    ("em", "EM"),
    ("f1", "F1"),
    ("recall@1", "R@1"),
    ("recall@5", "R@5"),
    ("mrr", "MRR"),
    ("citation_validity", "cite"),
    ("abstention_accuracy", "abst acc"),
    ("false_abstention", "false abst"),
    ("latency_p50_ms", "p50 ms"),
    ("latency_p95_ms", "p95 ms"),
]


def table(report: dict[str, Any]) -> str:
    """One Markdown table: by question type, then overall."""
    head = "| type | " + " | ".join(c[1] for c in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 1)]
    rows = [*report["by_type"].items(), ("overall", report["overall"])]
    for name, s in rows:
        cells = [
            str(s[k]) if k == "n" else f"{s[k]:.3f}" if "ms" not in k else f"{s[k]:.1f}"
            for k, _ in COLUMNS
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(report: dict[str, Any], floors: dict[str, float], failures: list[str]) -> str:
    parts = [
        "# Evaluation report",
        "",
        f"Abstention threshold: {report['threshold']}",
        "",
        table(report),
        "",
        "## No-answer threshold sweep",
        "",
        "| threshold | EM | F1 | abst acc | false abst |",
        "|---|---|---|---|---|",
    ]
    for s in report["sweep"]:
        parts.append(
            f"| {s['threshold']:.2f} | {s['em']:.3f} | {s['f1']:.3f} | "
            f"{s['abstention_accuracy']:.3f} | {s['false_abstention']:.3f} |"
        )
    parts += [
        "",
        "## Calibration (accuracy of the answer per confidence bucket)",
        "",
        "| confidence | n | accuracy |",
        "|---|---|---|",
    ]
    parts += [f"| {c['bucket']} | {c['n']} | {c['accuracy']:.3f} |" for c in report["calibration"]]
    parts += ["", "## Floors", ""]
    parts += [
        f"- {k} >= {v}" if not k.startswith("max_") else f"- {k[4:]} <= {v}"
        for k, v in floors.items()
    ]
    parts += [
        "",
        f"Floors broken: {', '.join(failures) if failures else 'none'}",
        "",
        "## Failures (EM = 0)",
        "",
    ]
    for r in report["questions"]:
        if not r["em"]:
            parts.append(
                f"- `{r['id']}` {r['question']!r}: got {r['answer']!r} "
                f"(conf {r['confidence']:.2f}), gold {r['gold'][:3]!r}"
            )
    return "\n".join(parts) + "\n"
