"""How a build keeps work for the next one: a folder per way of working, one JSON object
in it, both checked when read.

The per-article caches (parses, cuts) keep the last build's articles as one JSON object,
written atomically (temp file, fsync, rename) and named by the sha256 of its bytes, which
is checked when it is read: a damaged or foreign file is skipped with a warning, never
trusted, and the build redoes that work. Every cache (the vector cache too) lives in an
``identity_folder``: one folder per identity of the work (model, chunking, parsing code),
so that work done another way is never read back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson

from index.files import write_atomic

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[0-9a-f]{64}\.json$")


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


def sha256_parts(*parts: bytes) -> str:
    """One sha256 of several byte strings, each hashed apart so that no two splits collide."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def code_sha256(*modules: ModuleType) -> str:
    """The source of ``modules``, hashed: cached work names the code that did it."""
    return sha256_parts(*(Path(m.__file__ or "").read_bytes() for m in modules))


class KeptJson:
    """The JSON object kept in ``folder`` (one ``<sha256>.json`` file at a time)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def files(self) -> list[Path]:
        return sorted(p for p in self.folder.iterdir() if _NAME.match(p.name))

    def load(self) -> dict[str, Any]:
        """What the last ``store`` kept; empty when there is nothing sound to read."""
        for path in self.files():
            try:
                raw = path.read_bytes()  # hashed and parsed from one read (tens of MB)
                if hashlib.sha256(raw).hexdigest() != path.stem:
                    log.warning("skipping %s: its bytes do not match its name", path)
                    continue
                body = orjson.loads(raw)
            except (OSError, ValueError) as exc:
                log.warning("skipping %s: %s", path, exc)
                continue
            if isinstance(body, dict):
                return body
            log.warning("skipping %s: not a JSON object", path)
        return {}

    def store(self, body: Mapping[str, Any]) -> Path:
        """Keep exactly ``body``, replacing what was kept (a damaged file of that name too)."""
        raw = orjson.dumps(body)  # 0.1 s for 100,000 articles' parses; json took 1.0
        path = self.folder / f"{hashlib.sha256(raw).hexdigest()}.json"
        if not (path.exists() and path.read_bytes() == raw):
            write_atomic(path, raw)
        for old in self.files():
            if old != path:
                old.unlink(missing_ok=True)
        return path
