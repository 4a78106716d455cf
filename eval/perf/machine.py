"""What machine a measurement ran on, so rows from different runs can be compared.

The project's machines are shared VMs whose host can change between sessions: one session
ran on an AMD EPYC with AVX2 only, where int8 ONNX Runtime encoded a question in ~4 ms
against ~3 ms measured in earlier sessions (whose CPU was not recorded). Every benchmark
row now records the CPU it ran on, and which vector instruction sets it has.
"""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path

# Instruction sets that change ONNX Runtime's and FAISS's kernels, best first.
ISA_FLAGS = ("amx_int8", "avx512_vnni", "avx_vnni", "avx512f", "avx2")


def _cpuinfo() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo (empty off Linux)."""
    fields: dict[str, str] = {}
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return fields
    for line in text.split("\n\n", 1)[0].splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def describe() -> dict[str, object]:
    """CPU model, logical cores, the vector instruction sets present, memory, Python."""
    info = _cpuinfo()
    flags = set(info.get("flags", "").split())
    memory_gib = 0.0
    with contextlib.suppress(ValueError, OSError):  # no such sysconf name off Linux
        memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": info.get("model name") or platform.processor() or "unknown",
        "cores": os.cpu_count() or 0,
        "isa": [f for f in ISA_FLAGS if f in flags],
        "memory_gib": round(memory_gib, 1),
        "python": platform.python_version(),
    }


def short(machine: dict[str, object] | None) -> str:
    """``AMD EPYC, avx2`` for a table cell: the CPU and its best vector instruction set."""
    if not machine:
        return "not recorded"
    isa = machine.get("isa") or []
    best = isa[0] if isinstance(isa, list) and isa else "no avx2"
    return f"{machine.get('cpu', 'unknown')}, {best}"
