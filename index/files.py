"""Atomic, durable file writes: temp file, fsync, rename, fsync the folder."""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from blake3 import blake3


def npy_bytes(array: np.ndarray) -> bytes:
    """``array`` as a .npy file's bytes (never pickled), to hash and write atomically."""
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Flush a file another library wrote, before its folder is published."""
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so a reader sees the old file or the whole new one."""
    _replace_atomically(path, lambda tmp: tmp.write_bytes(data))


def write_atomic_with(path: Path, write: Callable[[Path], object]) -> None:
    """``write_atomic`` for a file a writer makes at the path it is given (FAISS, numpy).

    Large files go straight to disk instead of through one bytes object in memory.
    """
    _replace_atomically(path, write)


def _replace_atomically(path: Path, write: Callable[[Path], object]) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        fsync_file(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        # name the file that failed (a full disk's write() names none) as its caller knows it
        if exc.strerror is not None and exc.filename in (None, str(tmp)):
            exc.filename = str(path)
        raise
    finally:
        if tmp.exists():
            tmp.unlink()
    fsync_dir(path.parent)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def blake3_file(path: Path) -> str:
    """The BLAKE3 of a file, read through a mapping on this thread (callers hash several
    files at once): about 4 GB/s a core here, SHA-256 about 1.4 (OpenSSL, SHA-NI)."""
    digest = blake3(max_threads=1)
    if path.stat().st_size:  # an empty file cannot be mapped
        digest.update_mmap(path)
    return digest.hexdigest()


def identity_folder(root: Path, identity: dict[str, Any], name: str) -> Path:
    """``root``/<16 hex digits of the sha256 of ``identity``>, holding ``identity`` as JSON
    in the file ``name``: one folder per kind of cached data (model, chunking), so that
    another kind never reads it. A folder whose file names another identity is refused."""
    key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
    folder = root / key
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if path.exists():
        found = json.loads(path.read_text(encoding="utf-8"))
        if found != identity:
            raise ValueError(f"{path} names {found}, not {identity}: remove the folder")
    else:
        write_atomic(path, json.dumps(identity, indent=2).encode("utf-8"))
    return folder
