"""What the Slack bot remembers of each thread: its first question, bounded and expiring."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from service.threads import ThreadQuestions


def _remember(path: str, n: int) -> None:
    ThreadQuestions(Path(path)).remember("T1", "C1", "1.0", f"question {n}")


def test_the_first_question_of_a_thread_is_kept(tmp_path: Path) -> None:
    t = ThreadQuestions(tmp_path / "db.sqlite3")
    assert t.first("T1", "C1", "1.0") is None
    t.remember("T1", "C1", "1.0", "How much is Microsoft investing in Japan?")
    t.remember("T1", "C1", "1.0", "and when was it announced?")
    assert t.first("T1", "C1", "1.0") == "How much is Microsoft investing in Japan?"
    assert t.first("T1", "C2", "1.0") is None and t.first("T2", "C1", "1.0") is None


def test_processes_share_what_threads_started_with(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite3")
    ThreadQuestions(Path(path))
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.starmap(_remember, [(path, n) for n in range(6)])
    first = ThreadQuestions(Path(path)).first("T1", "C1", "1.0")
    assert first is not None and first.startswith("question ")


def test_a_thread_is_forgotten_after_the_ttl(tmp_path: Path) -> None:
    t = ThreadQuestions(tmp_path / "db.sqlite3", ttl=0.05)
    t.remember("T1", "C1", "1.0", "old question")
    time.sleep(0.1)
    assert t.first("T1", "C1", "1.0") is None
    t.remember("T1", "C1", "1.0", "new question")  # an expired thread starts afresh
    assert t.first("T1", "C1", "1.0") == "new question"


def test_only_the_newest_threads_are_kept(tmp_path: Path) -> None:
    t = ThreadQuestions(tmp_path / "db.sqlite3", max_threads=3)
    for n in range(5):
        t.remember("T1", "C1", f"{n}.0", f"question {n}")
    kept = [t.first("T1", "C1", f"{n}.0") for n in range(5)]
    assert kept == [None, None, "question 2", "question 3", "question 4"]
