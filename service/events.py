"""Slack event ids already handled, in SQLite: every worker process sees the same set.

Slack redelivers an event it thinks was missed (X-Slack-Retry-Num); with several worker
processes the retry can land in another process than the first delivery, so the memory
of what was handled lives in a file, not in a process.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_events (
    team_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (team_id, event_id)
)
"""


class EventDeduper:
    """Remembers (team_id, event_id) pairs for ``ttl`` seconds: a Slack retry is answered once."""

    def __init__(self, path: Path, ttl: float) -> None:
        self.path = path
        self.ttl = ttl
        self._lock = threading.Lock()
        self._last_purge = 0.0
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def first_time(self, team_id: str, event_id: str) -> bool:
        """True exactly once per pair within ``ttl`` seconds, across processes."""
        now = time.time()
        with self._lock, self._connect() as db:
            if now - self._last_purge > 60:
                db.execute("DELETE FROM slack_events WHERE seen_at < ?", (now - self.ttl,))
                self._last_purge = now
            db.execute(
                "DELETE FROM slack_events WHERE team_id = ? AND event_id = ? AND seen_at < ?",
                (team_id, event_id, now - self.ttl),
            )
            cur = db.execute(
                "INSERT OR IGNORE INTO slack_events (team_id, event_id, seen_at) VALUES (?, ?, ?)",
                (team_id, event_id, now),
            )
            return cur.rowcount == 1
