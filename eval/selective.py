"""Answering selectively: precision of what is answered, coverage, calibration, consistency.

An answer is right when its F1 against the gold is at least 0.5; an answer to an
unanswerable question is wrong. ``confidence`` is the service's own, so the calibration
table says whether it means what it claims.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eval.metrics import f1

RIGHT_F1 = 0.5
BINS = [(i / 10, (i + 1) / 10) for i in range(10)]
CALIBRATION_MIN_N = 10  # bins with fewer answers are shown but not held to the 0.1 rule
CALIBRATION_SLACK = 0.1


def _mean(xs: Sequence[float]) -> float:
    return round(sum(xs) / len(xs), 4) if xs else 0.0


def right(row: dict[str, Any], answer_key: str = "answer", f1_key: str = "f1") -> bool:
    return bool(row["gold"]) and row[answer_key] is not None and row[f1_key] >= RIGHT_F1


def answered_precision(rows: Sequence[dict[str, Any]]) -> tuple[float, float]:
    """(answers right over answers given, answerable questions answered over answerable)."""
    given = [r for r in rows if r["answer"] is not None]
    answerable = [r for r in rows if r["gold"]]
    precision = _mean([float(right(r)) for r in given]) if given else 1.0
    coverage = _mean([float(r["answer"] is not None) for r in answerable])
    return precision, coverage


def risk_coverage(rows: Sequence[dict[str, Any]]) -> list[dict[str, float]]:
    """Every threshold's point: answer iff confidence >= t, over the un-thresholded answers."""
    points = []
    cuts = sorted({r["confidence"] for r in rows if r["raw_answer"] is not None}, reverse=True)
    answerable = sum(1 for r in rows if r["gold"]) or 1
    for t in cuts:
        given = [r for r in rows if r["raw_answer"] is not None and r["confidence"] >= t]
        ok = sum(1 for r in given if right(r, "raw_answer", "raw_f1"))
        points.append(
            {
                "threshold": t,
                "answered": len(given),
                "coverage": round(sum(1 for r in given if r["gold"]) / answerable, 4),
                "precision": round(ok / len(given), 4) if given else 1.0,
            }
        )
    return points


def calibration(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each confidence bin: answers in it, their mean confidence and observed precision
    (un-thresholded answers, so that low bins are measured too)."""
    out = []
    given = [r for r in rows if r["raw_answer"] is not None]
    for lo, hi in BINS:
        inside = [r for r in given if lo <= r["confidence"] < hi or (hi == 1.0 == r["confidence"])]
        precision = _mean([float(right(r, "raw_answer", "raw_f1")) for r in inside])
        mean_conf = _mean([r["confidence"] for r in inside])
        held = len(inside) >= CALIBRATION_MIN_N
        out.append(
            {
                "bin": f"{lo:.1f}-{hi:.1f}",
                "n": len(inside),
                "confidence": mean_conf,
                "precision": precision,
                "ok": (not held) or abs(mean_conf - precision) <= CALIBRATION_SLACK,
            }
        )
    return out


def consistency(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Groups of rewordings: the share whose answers all agree and are right (for an
    unanswerable group: all abstain)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r.get("group"):
            groups.setdefault(r["group"], []).append(r)
    good = 0
    for members in groups.values():
        if members[0]["gold"]:
            answers = [m["answer"] for m in members]
            agree = all(f1(a, b) >= RIGHT_F1 for a in answers for b in answers)
            good += all(right(m) for m in members) and agree
        else:
            good += all(m["answer"] is None for m in members)
    return {"groups": len(groups), "consistent": round(good / len(groups), 4) if groups else 1.0}
