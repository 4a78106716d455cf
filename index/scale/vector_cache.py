"""Vectors already computed, kept on disk by text: a build resumes, and an update re-encodes
only the text it has not seen (``VectorCache``, an ``index.build.VectorStore``).

Encoding is nearly the whole cost of a build (12-14 hours per million chunks on a 2-core
CPU), and without this a crash at hour ten, or one article added to ten thousand, meant
encoding everything again. A text's vector must not depend on anything but the text and
the model, or a cached row would differ from a fresh one: builds encode int8 one text per
run for that reason (``index.embed.safe_batch``).

Layout of a cache folder::

    <key>/                  one embedding function: model id and the sha256 of its weights
        model.json          that identity and the dimension, checked when the cache is opened
        <sha256>.npy        a segment: rows of (sha256 of the text, vector), named by the
                            sha256 of the file's own bytes and checked when read

Texts are known by ``index.build.text_keys`` (the sha256 of their UTF-8 bytes).

Segments are written whole (temp file, fsync, rename) while a build encodes, so a killed
build loses at most one segment's work; nothing is pickled. A damaged or unreadable segment
is skipped with a warning, and its texts are encoded again.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

import numpy as np

from index.files import npy_bytes, sha256_file, write_atomic
from index.scale.kept import identity_folder

log = logging.getLogger(__name__)

IDENTITY = "model.json"
SEGMENT_ROWS = 4096  # ~6 MiB of 384-d rows: the most a killed build loses
_SEGMENT = re.compile(r"^[0-9a-f]{64}\.npy$")


def _rows(dimension: int) -> np.dtype:
    return np.dtype([("key", "S32"), ("vector", "<f4", (dimension,))])


def _find(ordered: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``keys`` sits in the sorted, unique ``ordered``, and whether it is there."""
    if not len(ordered):
        return np.zeros(len(keys), dtype=np.intp), np.zeros(len(keys), dtype=bool)
    pos = np.minimum(np.searchsorted(ordered, keys), len(ordered) - 1)
    return pos, ordered[pos] == keys


class VectorCache:
    """The vectors one embedding function (``model``, ``weights``) gave to texts before."""

    def __init__(self, root: Path, model: str, weights: str, dimension: int) -> None:
        identity = {"model": model, "weights_sha256": weights, "dimension": dimension}
        self.folder = identity_folder(root, identity, IDENTITY)
        self.dimension = dimension

    def segments(self) -> list[Path]:
        return sorted(p for p in self.folder.iterdir() if _SEGMENT.match(p.name))

    def _read(self, path: Path) -> np.ndarray | None:
        """A segment's rows, or None (with a warning) when it is damaged or gone."""
        try:
            if sha256_file(path) != path.stem:
                log.warning("skipping %s: its bytes do not match its name", path)
                return None
            rows = np.load(path, allow_pickle=False, mmap_mode="r")
        except (OSError, ValueError) as exc:
            log.warning("skipping %s: %s", path, exc)
            return None
        if rows.dtype != _rows(self.dimension) or rows.ndim != 1:
            log.warning("skipping %s: rows of %s, not %s", path, rows.dtype, _rows(self.dimension))
            return None
        return rows

    def lookup(self, keys: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Copy the cached vector of each key into the same row of ``out``; returns which
        rows were found. ``keys`` must be unique (``np.unique`` them first).

        Vectorised (sort and binary search), so millions of keys cost seconds, not a dict.
        """
        found = np.zeros(len(keys), dtype=bool)
        if not len(keys):
            return found
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        for path in self.segments():
            rows = self._read(path)
            if rows is None or not len(rows):
                continue
            pos, hit = _find(ordered, np.asarray(rows["key"]))
            if hit.any():
                targets = order[pos[hit]]
                out[targets] = rows["vector"][hit]
                found[targets] = True
        return found

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> list[Path]:
        """Write rows as segments of at most ``SEGMENT_ROWS``; returns their paths."""
        paths = []
        for i in range(0, len(keys), SEGMENT_ROWS):
            rows = np.empty(min(SEGMENT_ROWS, len(keys) - i), dtype=_rows(self.dimension))
            rows["key"] = keys[i : i + SEGMENT_ROWS]
            rows["vector"] = vectors[i : i + SEGMENT_ROWS]
            data = npy_bytes(rows)
            path = self.folder / f"{hashlib.sha256(data).hexdigest()}.npy"
            if not path.exists():
                write_atomic(path, data)
            paths.append(path)
        return paths

    def keep_only(self, keys: np.ndarray) -> int:
        """Drop the rows of texts not in ``keys`` (the last build's) when they are the most.

        Returns the rows dropped. Repeated builds of a changing corpus would otherwise let
        the cache grow without bound; rewriting a mostly current cache would cost more than
        it frees, so that is left alone. About a segment's rows are held in memory at a time.
        """
        old = self.segments()
        wanted = np.unique(keys)
        masks: dict[Path, np.ndarray] = {}
        for path in old:
            rows = self._read(path)
            if rows is not None:
                # not np.isin: it sorts every wanted key again for each segment (11 s of a
                # 10,000-article rebuild)
                masks[path] = _find(wanted, np.asarray(rows["key"]))[1]
        total = sum(len(m) for m in masks.values())
        kept = sum(int(m.sum()) for m in masks.values())
        if total - kept <= kept:
            return 0
        pending: list[np.ndarray] = []
        written: set[Path] = set()
        for path, mask in masks.items():
            rows = np.load(path, allow_pickle=False)  # checked just above
            pending.append(rows[mask])
            if sum(len(p) for p in pending) >= SEGMENT_ROWS:
                merged = np.concatenate(pending)
                written.update(self.add(merged["key"], merged["vector"]))
                pending = []
        if pending:
            merged = np.concatenate(pending)
            written.update(self.add(merged["key"], merged["vector"]))
        for path in old:
            if path not in written:
                path.unlink(missing_ok=True)
        return total - kept
