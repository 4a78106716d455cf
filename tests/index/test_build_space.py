"""A build that runs out of disk fails in one line and leaves the live index as it was."""

from __future__ import annotations

import errno
import logging
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import index.__main__ as cli_module
from index import space, store
from index.build import build_index
from tests.fakes import HashingEncoder

ENC = HashingEncoder()
FAILED = "error: build failed, the previous index is untouched: "
# the loggers the CLI turns up to INFO for a build's progress
CLI_LOGGERS = ("index.build", "index.ivf", "index.scale")
FAISS_ENOSPC = (
    "Error in void faiss::write_index(const Index*, IOWriter*, int) at "
    "/project/faiss/impl/index_write.cpp:499: Error: 'ret == (size * 4)' failed: "
    "write error in {path}: 4051 != 1536000 (No space left on device)"
)

Build = Callable[[], tuple[int, list[str]]]


@pytest.fixture(autouse=True)
def _logger_levels() -> Iterator[None]:
    """Put back the levels the CLI sets, so other tests' logging is as they expect."""
    loggers = [logging.getLogger(name) for name in CLI_LOGGERS]
    levels = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.fixture
def live(tmp_path: Path, seeds_copy: Path) -> Path:
    """An index folder with a live generation, and one article more to build."""
    out = tmp_path / "index"
    build_index(seeds_copy, out, ENC)
    (seeds_copy / "005_new.txt").write_text("A new article about Tokyo.\n", encoding="utf-8")
    return out


@pytest.fixture
def build(
    live: Path, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> Build:
    """`python -m index build` in this process with the fast encoder: (exit status, stderr lines)."""
    monkeypatch.setattr(cli_module, "Embedder", lambda **_kw: ENC)
    capsys.readouterr()

    def run() -> tuple[int, list[str]]:
        argv = ["build", "--seeds", str(seeds_copy), "--out", str(live)]
        code = cli_module.main([*argv, "--backend", "torch", "--no-cache"])
        return code, capsys.readouterr().err.splitlines()

    return run


def _tree(out: Path) -> dict[str, bytes]:
    """Every file under ``out`` and its bytes."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _leftovers(out: Path) -> list[Path]:
    return [*out.glob(".vectors-*.npy"), *out.glob(".staging-*")]


def _disk(monkeypatch: pytest.MonkeyPatch, free: int) -> None:
    """The filesystem, as ``index.space`` sees it, has ``free`` bytes left."""
    usage = SimpleNamespace(total=1 << 30, used=(1 << 30) - free, free=free)
    monkeypatch.setattr(space.shutil, "disk_usage", lambda _path: usage)


def _fallocate_fails(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    def fallocate(_fd: int, _offset: int, _length: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(space.os, "posix_fallocate", fallocate)


def _dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _assert_failed_cleanly(code: int, err: list[str], out: Path, before: dict[str, bytes]) -> str:
    """Exit 1, one line on stderr, no temporary files, every file of the index unchanged."""
    assert code == 1
    assert len(err) == 1, err
    assert err[0].startswith(FAILED)
    assert "Traceback" not in err[0]
    assert not _leftovers(out)
    assert _tree(out) == before
    return err[0].removeprefix(FAILED)


@pytest.mark.parametrize("fallocate", ["enospc", "unsupported"])
def test_too_little_space_for_the_vectors_fails_in_one_line(
    build: Build, live: Path, monkeypatch: pytest.MonkeyPatch, fallocate: str
) -> None:
    before = _tree(live)
    _disk(monkeypatch, free=64 << 10)
    _fallocate_fails(monkeypatch, errno.ENOSPC if fallocate == "enospc" else errno.EOPNOTSUPP)
    code, err = build()
    why = _assert_failed_cleanly(code, err, live, before)
    assert re.fullmatch(
        rf"no space left on device: \d+\.\d MiB needed, 0\.1 MiB free in {re.escape(str(live))}",
        why,
    ), why


def _fail_writing(name: str, exc: OSError) -> Callable[[Path, bytes], None]:
    real = store.write_atomic

    def write(path: Path, data: bytes) -> None:
        if path.name == name:
            raise exc
        real(path, data)

    return write


FAULTS = {
    "documents-enospc": r"no space left on device writing documents\.jsonl \(0\.1 MiB free in ",
    "current-enospc": r"no space left on device writing CURRENT \(0\.1 MiB free in ",
    "manifest-erofs": r"\[Errno 30\] Read-only file system: '.*manifest\.json'",
    "faiss-enospc": r"no space left on device writing chunks\.faiss \(0\.1 MiB free in ",
    "faiss-other": r"\[Errno 5\] FAISS could not write the index: Error in .*bad_alloc",
}


@pytest.mark.parametrize(("fault", "expected"), FAULTS.items(), ids=list(FAULTS))
def test_an_error_while_writing_the_generation_fails_in_one_line(
    build: Build, live: Path, monkeypatch: pytest.MonkeyPatch, fault: str, expected: str
) -> None:
    before = _tree(live)
    _disk(monkeypatch, free=64 << 10)
    nospace = os.strerror(errno.ENOSPC)
    if fault == "documents-enospc":
        exc = OSError(errno.ENOSPC, nospace, str(live / ".staging-x" / "documents.jsonl"))
        monkeypatch.setattr(store, "write_atomic", _fail_writing("documents.jsonl", exc))
    elif fault == "current-enospc":  # after the new generation's folder is in place
        exc = OSError(errno.ENOSPC, nospace, str(live / "CURRENT"))
        monkeypatch.setattr(store, "write_atomic", _fail_writing("CURRENT", exc))
    elif fault == "manifest-erofs":
        exc = OSError(errno.EROFS, os.strerror(errno.EROFS), str(live / "manifest.json"))
        monkeypatch.setattr(store, "write_atomic", _fail_writing("manifest.json", exc))
    else:
        message = FAISS_ENOSPC if fault == "faiss-enospc" else "Error in write: std::bad_alloc"

        def write_index(_index: object, path: str) -> None:
            raise RuntimeError(message.format(path=path))

        monkeypatch.setattr(store.faiss, "write_index", write_index)
    code, err = build()
    why = _assert_failed_cleanly(code, err, live, before)
    assert re.match(expected, why), why


def test_a_dead_builds_vectors_are_removed_before_the_next_build_needs_the_space(
    build: Build, live: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _tree(live)
    dead = _dead_pid()
    leftovers = [live / f".vectors-{dead}.npy", live / f".staging-gen-x-{dead}" / "chunks.faiss"]
    leftovers[1].parent.mkdir()
    for path in leftovers:
        path.write_bytes(b"\0" * 4096)
    running = live / f".vectors-{os.getppid()}.npy"  # a build still running: not its to remove
    running.write_bytes(b"\0" * 4096)
    seen: list[bool] = []
    real_encode = ENC.encode

    def encode(texts: list[str], batch_size: int = 32) -> np.ndarray:
        seen.append(any(path.exists() for path in leftovers))
        return real_encode(texts, batch_size)

    monkeypatch.setattr(ENC, "encode", encode)
    _disk(monkeypatch, free=64 << 10)
    _fallocate_fails(monkeypatch, errno.ENOSPC)
    code, err = build()
    assert seen and not any(seen)  # gone before the first text was encoded
    running.unlink()
    _assert_failed_cleanly(code, err, live, before)


def test_reserve_allocates_the_blocks_or_checks_the_free_space(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mapped.npy"
    path.write_bytes(b"")
    space.reserve(path, 1 << 20)
    assert path.stat().st_blocks * 512 >= 1 << 20
    _fallocate_fails(monkeypatch, errno.EOPNOTSUPP)
    _disk(monkeypatch, free=(1 << 20) + space.MARGIN)
    space.reserve(path, 1 << 20)  # just enough, with the margin
    _disk(monkeypatch, free=(1 << 20) + space.MARGIN - 1)
    with pytest.raises(space.NoSpaceError, match=r"no space left on device: 17\.0 MiB needed"):
        space.reserve(path, 1 << 20)
