"""The risk-coverage curve of each split, as a PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def risk_coverage_png(report: dict[str, Any], path: Path) -> Path:
    """Answered precision against coverage as the abstention threshold sweeps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=110)
    for name, split in report["splits"].items():
        pts = split["risk_coverage"]
        ax.plot([p["coverage"] for p in pts], [p["precision"] for p in pts], label=name)
        o = split["overall"]
        ax.scatter([o["coverage"]], [o["answered_precision"]], marker="o")
    ax.axhline(0.9, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("coverage (answerable questions answered)")
    ax.set_ylabel("answered precision (F1 >= 0.5)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title(f"Risk-coverage, {report['corpus']} (dot: threshold in use)")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
