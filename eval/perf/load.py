"""`python -m eval.load`: a bounded load test of the real service on 127.0.0.1.

Starts `python -m service` as its own process, fires a fixed number of /ask requests from
a fixed number of concurrent clients (it stops by itself), and reports status counts,
latency percentiles and the server's resident memory before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from eval.metrics import percentile

QUESTIONS = [
    "How much is Microsoft investing in Japan?",
    "how many workers will get AI training",
    "Who is the President of Microsoft Japan?",
    "Where will the new research lab open?",
    "When did Zuckerberg speak to reporters?",
    "Who won the 2022 World Cup?",
    "How much will AWS spend on data centers in Japan by 2027?",
    "which ministry leads GENIAC",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the worker processes of a multi-process server)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kib(pid: int) -> int:
    """Resident set size of a process and its workers (Linux /proc), in KiB."""
    return sum(_status_kib(p, "VmRSS:") for p in process_tree(pid))


def peak_rss_kib(pid: int) -> int:
    """Sum over the process and its workers of each one's peak resident set, in KiB."""
    return sum(_status_kib(p, "VmHWM:") for p in process_tree(pid))


def anon_kib(pid: int) -> int:
    """Anonymous resident memory of a process and its workers, in KiB: the heap, not the
    pages of files it maps (a build maps gigabytes of vectors that the kernel can drop)."""
    return sum(_status_kib(p, "RssAnon:") for p in process_tree(pid))


class PeakSampler:
    """The largest ``anon_kib`` of a process tree, sampled every ``interval`` seconds on a
    thread until ``stop()``: Linux keeps a high-water mark for all resident pages, mapped
    files' included, but none for anonymous memory alone."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self.peak_kib = max(self.peak_kib, anon_kib(self.pid))
            if self._done.wait(self.interval):
                return

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self.peak_kib


def pss_kib(pid: int) -> int:
    """Proportional set size of a process and its workers, in KiB: what they cost the machine.

    RSS counts a page every worker maps (the model file, the mapped BM25 and vector
    arrays) once per worker; PSS splits it between them, so the sum is not inflated.
    """
    total = 0
    for p in process_tree(pid):
        try:
            lines = Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue  # exited meanwhile, or no smaps_rollup (kernel < 4.14)
        total += next((int(ln.split()[1]) for ln in lines if ln.startswith("Pss:")), 0)
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU used so far by a process and its live workers, in seconds."""
    total = 0.0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@dataclass
class ServerProcess:
    url: str
    proc: subprocess.Popen[bytes]
    started_s: float  # process start to /readyz 200


@contextmanager
def serve(
    env: dict[str, str] | None = None,
    timeout: float = 120,
    log_file: Path | None = None,
    cwd: Path | None = None,
) -> Iterator[ServerProcess]:
    """`python -m service` on a free 127.0.0.1 port until the block ends (then SIGTERM).

    The service's log (JSON lines on stderr) goes to ``log_file``, or nowhere. ``cwd``: run
    the code of another source tree (``python -m`` imports from the working directory).
    """
    port = free_port()
    full_env = {
        **os.environ,
        "RAG_HOST": "127.0.0.1",
        "RAG_PORT": str(port),
        "RAG_LOG_LEVEL": "WARNING",
        "HF_HUB_OFFLINE": "1",
        **(env or {}),
    }
    t0 = time.perf_counter()
    with open(log_file or os.devnull, "wb") as log:  # the service keeps its own copy
        proc = subprocess.Popen(
            [sys.executable, "-m", "service"],
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            cwd=cwd,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the service exited with {proc.returncode}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not become ready")
            time.sleep(0.02)
        yield ServerProcess(url, proc, time.perf_counter() - t0)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class LoadResult:
    requests: int
    concurrency: int
    seconds: float
    statuses: dict[str, int]
    latencies_ms: list[float] = field(repr=False)
    client_cpu_s: float = 0.0  # the load generator's own CPU: it shares the machine

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 3), **pooled_summary([self])}


def pooled_summary(results: Sequence[LoadResult]) -> dict[str, Any]:
    """One summary of several rounds of the same load, run at different moments.

    Percentiles are of every request's latency pooled; requests/s is the median round's,
    with each round's listed, so one round that met a busy neighbour moves neither much.
    """
    if not results:
        raise ValueError("no rounds to summarise")
    latencies = [ms for r in results for ms in r.latencies_ms]
    requests = sum(r.requests for r in results)
    statuses: Counter[str] = Counter()
    for r in results:
        statuses.update(r.statuses)
    return {
        "requests": requests,
        "concurrency": results[0].concurrency,
        "rounds": len(results),
        "rps": round(statistics.median(r.rps for r in results), 1),
        "rps_rounds": [round(r.rps, 1) for r in results],
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "client_cpu_ms_per_request": round(
            1000 * sum(r.client_cpu_s for r in results) / requests, 3
        ),
        "statuses": dict(statuses),
    }


async def _load(url: str, questions: Sequence[str], n: int, concurrency: int) -> LoadResult:
    import aiohttp  # a dev dependency: only the load generator needs it

    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    counter = iter(range(n))
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as client:

        async def worker() -> None:
            for i in counter:
                t0 = time.perf_counter()
                try:
                    body = {"question": questions[i % len(questions)]}
                    async with client.post("/ask", json=body) as r:
                        await r.read()
                        statuses[str(r.status)] += 1
                except (aiohttp.ClientError, TimeoutError) as exc:
                    statuses[type(exc).__name__] += 1
                latencies.append((time.perf_counter() - t0) * 1000)

        cpu0, t0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return LoadResult(n, concurrency, elapsed, dict(statuses), latencies, cpu)


def run_load(
    url: str, n: int, concurrency: int, questions: Sequence[str] = QUESTIONS
) -> LoadResult:
    """``n`` requests from ``concurrency`` clients (a fixed count: it always ends)."""
    return asyncio.run(_load(url, questions, n, concurrency))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m eval.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--requests", type=int, default=5000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--out", type=Path, default=Path("reports/load.json"))
    args = p.parse_args(argv)
    if not (1 <= args.requests <= 100_000 and 1 <= args.concurrency <= 256):
        p.error("--requests must be 1-100000 and --concurrency 1-256")
    with serve() as srv:
        run_load(srv.url, 50, 4)  # warm-up
        before = rss_kib(srv.proc.pid)
        result = run_load(srv.url, args.requests, args.concurrency)
        after = rss_kib(srv.proc.pid)
    report = {**result.summary(), "rss_before_kib": before, "rss_after_kib": after}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    server_errors = {k: v for k, v in result.statuses.items() if k.startswith("5") and k != "503"}
    return 1 if server_errors or any(not k.isdigit() for k in result.statuses) else 0


if __name__ == "__main__":
    sys.exit(main())
