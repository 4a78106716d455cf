"""eval.perf.machine names the CPU a measurement ran on; eval.perf.load's PSS splits shared pages."""

from __future__ import annotations

import os

from eval.perf.load import pss_kib, rss_kib
from eval.perf.machine import ISA_FLAGS, describe, short


def test_describe_names_this_machine() -> None:
    m = describe()
    assert m["cores"] == os.cpu_count()
    assert isinstance(m["cpu"], str) and m["cpu"]
    assert set(m["isa"]) <= set(ISA_FLAGS)  # type: ignore[arg-type]
    assert m["memory_gib"] > 0  # type: ignore[operator]
    # listed best first, in ISA_FLAGS' order
    assert m["isa"] == [f for f in ISA_FLAGS if f in m["isa"]]  # type: ignore[operator]


def test_short_names_the_best_instruction_set() -> None:
    m = {"cpu": "AMD EPYC", "isa": ["avx512_vnni", "avx2"], "cores": 2}
    assert short(m) == "AMD EPYC, avx512_vnni"
    assert short({"cpu": "old", "isa": []}) == "old, no avx2"
    assert short(None) == "not recorded"  # rows measured before machines were recorded


def test_pss_of_this_process_is_positive_and_at_most_its_rss() -> None:
    pid = os.getpid()
    pss, rss = pss_kib(pid), rss_kib(pid)
    assert 0 < pss <= rss * 1.05  # read a moment apart: allow a little growth
