"""👍/👎 votes from Slack, stored in SQLite so that a 👎 can become a new eval case."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    user_id TEXT NOT NULL,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    question TEXT NOT NULL,
    answer TEXT,
    citations TEXT NOT NULL
)
"""


class FeedbackStore:
    """One SQLite file; each click is one row (never updated, never deleted)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def record(
        self,
        *,
        user_id: str,
        vote: str,
        question: str,
        answer: str | None,
        citations: list[dict[str, Any]],
    ) -> int:
        if vote not in ("up", "down"):
            raise ValueError(f"vote must be 'up' or 'down', not {vote!r}")
        with self._lock, self._connect() as db:
            cur = db.execute(
                "INSERT INTO feedback (created_at, user_id, vote, question, answer, citations) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    user_id,
                    vote,
                    question,
                    answer,
                    json.dumps(citations),
                ),
            )
            return int(cur.lastrowid or 0)

    def rows(self) -> list[dict[str, Any]]:
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT * FROM feedback ORDER BY id")]

    def export_eval_items(self, out: Path) -> int:
        """Write each 👎 as a draft eval item (JSONL) for a person to fill in the right answer."""
        downs = [r for r in self.rows() if r["vote"] == "down"]
        with open(out, "w", encoding="utf-8") as fh:
            for r in downs:
                item = {
                    "id": f"feedback-{r['id']:04d}",
                    "question": r["question"],
                    "answers": [],
                    "doc_ids": [],
                    "type": "unanswerable" if r["answer"] is None else "factoid",
                    "rejected_answer": r["answer"],
                    "rejected_citations": json.loads(r["citations"]),
                    "user_id": r["user_id"],
                    "created_at": r["created_at"],
                }
                fh.write(json.dumps(item, ensure_ascii=False) + "\n")
        return len(downs)
