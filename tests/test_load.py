"""A short version of `python -m eval.load`: the real service process under concurrent load."""

from __future__ import annotations

import pytest

from eval.load import rss_kib, run_load, serve

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
    from eval.load import main

    with pytest.raises(SystemExit):
        main(["--requests", "0"])
    with pytest.raises(SystemExit):
        main(["--concurrency", "100000"])


def test_the_peak_sampler_sees_a_child_grow_its_heap() -> None:
    """~200 MiB allocated and touched by a child: the sampled anonymous peak sees it all,
    though the child has freed it by the time it exits."""
    import subprocess
    import sys

    from eval.load import PeakSampler

    code = "import time; b = bytearray(200 << 20); time.sleep(1.0); del b; time.sleep(0.5)"
    proc = subprocess.Popen([sys.executable, "-c", code])
    sampler = PeakSampler(proc.pid, interval=0.05)
    assert proc.wait(30) == 0
    assert 200 <= sampler.stop() / 1024 < 400
