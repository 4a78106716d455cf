"""One JSON object a build keeps for the next one: written whole, named by its bytes.

The per-article caches (parses, cuts) keep the last build's articles this way. The file is
written atomically (temp file, fsync, rename) and named by the sha256 of its bytes, which
is checked when it is read: a damaged or foreign file is skipped with a warning, never
trusted, and the build redoes that work.
"""

from __future__ import annotations

import hashlib
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
