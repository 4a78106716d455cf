"""The first question asked in each Slack thread, in SQLite, for the follow-ups asked in it.

A follow-up ("and when was it announced?") often leaves unsaid what the thread is about.
Remembering the question that started the thread costs the bot no extra Slack scope or Web
API call, and every worker process sees the same memory. It is bounded (``max_threads``
rows, the oldest dropped first) and forgets a thread after ``ttl`` seconds.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_threads (
    team_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    thread_ts TEXT NOT NULL,
    question TEXT NOT NULL,
    asked_at REAL NOT NULL,
    PRIMARY KEY (team_id, channel, thread_ts)
)
"""
_BY_AGE = "CREATE INDEX IF NOT EXISTS slack_threads_asked_at ON slack_threads (asked_at)"
THREAD_TTL_S = 7 * 24 * 3600.0
MAX_THREADS = 10_000


class ThreadQuestions:
    """(team, channel, thread_ts) -> the first question asked there, for ``ttl`` seconds."""

    def __init__(
        self, path: Path, ttl: float = THREAD_TTL_S, max_threads: int = MAX_THREADS
    ) -> None:
        self.path = path
        self.ttl = ttl
        self.max_threads = max_threads
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)
            db.execute(_BY_AGE)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """One transaction on a connection that is closed afterwards."""
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()

    def remember(self, team_id: str, channel: str, thread_ts: str, question: str) -> None:
        """Keep ``question`` as the thread's first unless one is already kept."""
        now = time.time()
        with self._lock, self._db() as db:
            db.execute("DELETE FROM slack_threads WHERE asked_at < ?", (now - self.ttl,))
            db.execute(
                "INSERT OR IGNORE INTO slack_threads "
                "(team_id, channel, thread_ts, question, asked_at) VALUES (?, ?, ?, ?, ?)",
                (team_id, channel, thread_ts, question, now),
            )
            db.execute(
                "DELETE FROM slack_threads WHERE rowid IN (SELECT rowid FROM slack_threads "
                "ORDER BY asked_at DESC, rowid DESC LIMIT -1 OFFSET ?)",
                (self.max_threads,),
            )

    def first(self, team_id: str, channel: str, thread_ts: str) -> str | None:
        """The thread's first question, or None when none is kept (or it has expired)."""
        with self._lock, self._db() as db:
            row = db.execute(
                "SELECT question FROM slack_threads "
                "WHERE team_id = ? AND channel = ? AND thread_ts = ? AND asked_at >= ?",
                (team_id, channel, thread_ts, time.time() - self.ttl),
            ).fetchone()
        return None if row is None else str(row[0])
