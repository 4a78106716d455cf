"""A smoke run of `python -m eval.bench --quick`: the benchmark command keeps working."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.perf.bench import QUICK_LEVELS, main

pytestmark = pytest.mark.integration


def test_bench_quick_writes_its_reports(tmp_path: Path, index_dir: Path) -> None:
    out, plot = tmp_path / "reports", tmp_path / "latency.png"
    assert (
        main(
            [
                "--quick",
                "--rounds",
                "10",
                "--load-rounds",
                "2",
                "--index",
                str(index_dir),
                "--torch-index",
                str(tmp_path / "torch-index"),
                "--out",
                str(out),
                "--plot",
                str(plot),
            ]
        )
        == 0
    )
    report = json.loads((out / "bench.json").read_text())
    for mode in ("torch-baseline", "unbatched", "one-process", "service"):
        assert set(report[mode]["levels"]) == {"1", "4", "16", "64"}
        for clients, level in report[mode]["levels"].items():
            assert level["statuses"] == {"200": level["requests"]}
            # two interleaved rounds of the quick level's fixed count, pooled
            assert level["rounds"] == 2 and len(level["rps_rounds"]) == 2
            assert level["requests"] == 2 * QUICK_LEVELS[int(clients)]
            assert level["server_cpu_ms_per_request"] > 0
    # the baseline really ran the torch encoder: its index was built for it
    assert (tmp_path / "torch-index" / "CURRENT").is_file()
    assert report["floor"]["floor_ms"] > 0 and report["build"]["build_s"] > 0
    assert plot.stat().st_size > 10_000
    assert report["machine"]["cores"] >= 1
    assert 0 < report["service"]["server_pss_mib"] <= report["service"]["server_peak_rss_mib"]
    assert 0 < report["build"]["build_peak_anon_mib"] <= report["build"]["build_peak_rss_mib"]
    text = (out / "bench.md").read_text()
    assert text.startswith("Machine: ")
    assert "| torch-baseline | 16 |" in text and "| unbatched | 16 |" in text
    assert "summed over 2 round(s) per level" in text
