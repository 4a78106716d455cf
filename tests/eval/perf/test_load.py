"""A short version of `python -m eval.load`: the real service process under concurrent load."""

from __future__ import annotations

import pytest

from eval.perf.load import rss_kib, run_load, serve

pytestmark = pytest.mark.integration


def test_no_server_errors_under_concurrent_load(index_dir: object) -> None:
    with serve({"RAG_INDEX_DIR": str(index_dir)}) as srv:
        run_load(srv.url, 20, 4)
        before = rss_kib(srv.proc.pid)
        result = run_load(srv.url, 300, 16)
        after = rss_kib(srv.proc.pid)
    assert result.statuses == {"200": 300}
    assert len(result.latencies_ms) == 300
    # memory stays bounded: no per-request growth (generous: the smoke run is short)
    assert after < before + 100 * 1024, (before, after)


def test_load_cli_refuses_unbounded_runs() -> None:
    from eval.perf.load import main

    with pytest.raises(SystemExit):
        main(["--requests", "0"])
    with pytest.raises(SystemExit):
        main(["--concurrency", "100000"])


def test_the_peak_sampler_sees_a_child_grow_its_heap() -> None:
    """~200 MiB allocated and touched by a child: the sampled anonymous peak sees it all,
    though the child has freed it by the time it exits."""
    import subprocess
    import sys

    from eval.perf.load import PeakSampler

    code = "import time; b = bytearray(200 << 20); time.sleep(1.0); del b; time.sleep(0.5)"
    proc = subprocess.Popen([sys.executable, "-c", code])
    sampler = PeakSampler(proc.pid, interval=0.05)
    assert proc.wait(30) == 0
    assert 200 <= sampler.stop() / 1024 < 400


def test_rounds_pool_their_latencies_and_take_the_median_rounds_rate() -> None:
    from eval.perf.load import LoadResult, pooled_summary

    rounds = [
        LoadResult(4, 2, 2.0, {"200": 4}, [1.0, 2.0, 3.0, 4.0], client_cpu_s=0.004),
        LoadResult(4, 2, 1.0, {"200": 3, "503": 1}, [5.0, 6.0, 7.0, 8.0], client_cpu_s=0.004),
        LoadResult(4, 2, 0.5, {"200": 4}, [9.0, 10.0, 11.0, 100.0], client_cpu_s=0.004),
    ]
    s = pooled_summary(rounds)
    assert s["requests"] == 12 and s["rounds"] == 3 and s["concurrency"] == 2
    assert s["rps_rounds"] == [2.0, 4.0, 8.0]
    assert s["rps"] == 4.0  # the median round's, not 12 requests / 3.5 s
    # nearest-rank percentiles of all twelve latencies together
    assert (s["p50_ms"], s["p95_ms"], s["p99_ms"]) == (6.0, 100.0, 100.0)
    assert s["statuses"] == {"200": 11, "503": 1}
    assert s["client_cpu_ms_per_request"] == 1.0
    with pytest.raises(ValueError, match="no rounds"):
        pooled_summary([])
