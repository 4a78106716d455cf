"""The live index generation, its manifest, and checking its files against the manifest.

Kept apart from ``index.store`` (FAISS, bm25s) so that a supervisor of several worker
processes can check a generation without importing them. Hashing is the slow part of
loading a large index: SHA-256 ran at about 1.4 GB/s a core here, BLAKE3 (what a manifest
lists now) at about 4. The files hash on several threads at once (both release the GIL),
and a supervisor checks a generation once and hands its workers the result
(``Verified``, then ``trust`` in each worker) instead of every worker hashing it again.
A trusted result covers a file only while the file's stat is what it was when hashed: a
write, a truncation or a replaced file changes its size, times or inode, and then the file
is hashed again. File times tick coarsely, so a file changed just before it was stamped
could change again within the same tick unseen (git's "racy clean" files): one changed
less than ``RACY_S`` before the check is checked but not trusted afterwards.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.files import blake3_file

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
REBUILD_HINT = "rebuild it with `python -m index build`"
MAX_HASH_THREADS = 4
RACY_S = 1.0


class IndexLoadError(RuntimeError):
    """The index on disk is missing, damaged or was built for something else.

    ``reason`` says what is wrong without file paths, for public status endpoints;
    the message itself (for logs and the CLI) names the files.
    """

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or "the index could not be read"


def refused(gen: Path, problems: list[str]) -> IndexLoadError:
    """The error for a generation that failed its checks, naming every problem."""
    return IndexLoadError(
        f"index at {gen} refused: {'; '.join(problems)}; {REBUILD_HINT}", "; ".join(problems)
    )


def current_generation(out_dir: Path) -> Path:
    pointer = out_dir / CURRENT
    if not pointer.is_file():
        raise IndexLoadError(
            f"no index at {out_dir} (no {CURRENT} file): {REBUILD_HINT}", "no index has been built"
        )
    name = pointer.read_text(encoding="utf-8").strip()
    if not name.startswith("gen-") or "/" in name:
        raise IndexLoadError(
            f"{pointer} is corrupt ({name!r}): {REBUILD_HINT}", "the index pointer is corrupt"
        )
    return out_dir / name


def older_generations(out_dir: Path) -> list[Path]:
    """The generation folders other than the live one, newest first: what a service can
    fall back on when the live one fails its checks (a build keeps the previous one)."""
    try:
        live: str | None = current_generation(out_dir).name
    except IndexLoadError:
        live = None
    gens = [p for p in out_dir.glob("gen-*") if p.is_dir() and p.name != live]
    return sorted(gens, key=lambda p: p.stat().st_mtime_ns, reverse=True)


def manifest_of(gen: Path) -> dict[str, Any]:
    """The manifest of one generation folder."""
    try:
        manifest: dict[str, Any] = json.loads((gen / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexLoadError(
            f"cannot read {gen / MANIFEST} ({exc}): {REBUILD_HINT}",
            "the index manifest cannot be read",
        ) from exc
    return manifest


def read_manifest(out_dir: Path) -> dict[str, Any]:
    """The manifest of the live generation."""
    return manifest_of(current_generation(out_dir))


@dataclass(frozen=True)
class Stamp:
    """What ``stat`` says of a file: any write, truncation or replacement changes it (ctime
    cannot be set back by hand, unlike mtime)."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, path: Path) -> Stamp:
        st = path.stat()
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


@dataclass(frozen=True)
class Verified:
    """A generation whose every listed file matched its manifest: each file's digest (as
    the manifest lists it), and its stamp taken just before it was hashed."""

    folder: str  # the generation folder, resolved
    files: dict[str, tuple[str, Stamp]]

    def covers(self, gen: Path, name: str, digest: object) -> bool:
        """Whether ``gen/name`` was checked against ``digest`` and has not changed since."""
        entry = self.files.get(name)
        if entry is None or entry[0] != digest or str(gen.resolve()) != self.folder:
            return False
        try:
            return Stamp.of(gen / name) == entry[1]
        except OSError:
            return False


_trusted: Verified | None = None


def trust(verified: Verified | None) -> None:
    """Use ``verified`` (a supervisor's check of a generation) for this process's loads."""
    global _trusted
    _trusted = verified


def hash_threads() -> int:
    return max(1, min(MAX_HASH_THREADS, os.cpu_count() or 1))


def _stamp_and_hash(path: Path) -> tuple[str, Stamp]:
    stamp = Stamp.of(path)  # before reading: a write during the hash changes it
    return blake3_file(path), stamp


def _hash_all(paths: list[Path], threads: int) -> list[tuple[str, Stamp]]:
    """Each file's BLAKE3 and stamp, in order; the largest start first, several at once."""
    if threads <= 1 or len(paths) <= 1:
        return [_stamp_and_hash(p) for p in paths]
    order = sorted(range(len(paths)), key=lambda i: paths[i].stat().st_size, reverse=True)
    with ThreadPoolExecutor(threads, thread_name_prefix="index-hash") as pool:
        done = dict(zip(order, pool.map(_stamp_and_hash, [paths[i] for i in order]), strict=True))
    return [done[i] for i in range(len(paths))]


def _check(
    gen: Path,
    manifest: dict[str, Any],
    names: list[str],
    threads: int | None,
    trusted: Verified | None,
) -> tuple[list[str], dict[str, tuple[str, Stamp]]]:
    """Problems, and the digest and stamp of every file hashed (those not ``trusted``)."""
    files = manifest.get("files") or {}
    problems: list[str] = []
    todo: dict[str, str] = {}  # name: the BLAKE3 the manifest lists
    for name in names:
        entry = files.get(name)
        if not entry or not (gen / name).is_file():
            problems.append(f"{name} missing")
        elif not isinstance(entry, dict) or not isinstance(entry.get("blake3"), str):
            problems.append(f"{name} has no BLAKE3 in the manifest")
        elif trusted is None or not trusted.covers(gen, name, entry["blake3"]):
            todo[name] = entry["blake3"]
    digests = _hash_all([gen / n for n in todo], threads or hash_threads())
    hashed = dict(zip(todo, digests, strict=True))
    for name, want in todo.items():
        if hashed[name][0] != want:
            problems.append(f"{name} checksum differs from the manifest")
    return problems, hashed


def check_files(
    gen: Path, manifest: dict[str, Any], names: Iterable[str], threads: int | None = None
) -> list[str]:
    """What is wrong with ``names`` in ``gen`` against the manifest's digests (empty: all
    match). A file that a trusted ``Verified`` covers is not hashed again."""
    names = list(names)
    problems, hashed = _check(gen, manifest, names, threads, _trusted)
    if not problems and len(hashed) < len(names):
        log.info("%d of %d index files already checked", len(names) - len(hashed), len(names))
    return problems


def verify(out_dir: Path, threads: int | None = None) -> Verified:
    """Hash every file the live generation's manifest lists; IndexLoadError unless all match."""
    gen = current_generation(out_dir)
    manifest = manifest_of(gen)
    names = sorted(manifest.get("files") or {})
    settled = time.time_ns() - int(RACY_S * 1e9)  # before any stamp is taken
    problems, hashed = _check(gen, manifest, names, threads, None)
    if problems:
        raise refused(gen, problems)
    trusted = {n: h for n, h in hashed.items() if h[1].ctime_ns <= settled}
    if len(trusted) < len(hashed):
        log.info(
            "%d index files changed just now: checked, not trusted", len(hashed) - len(trusted)
        )
    return Verified(str(gen.resolve()), trusted)
