"""Slack retries are answered once even when they reach another worker process."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from service.events import EventDeduper


def _claim(path: str, event_id: str) -> bool:
    return EventDeduper(Path(path), ttl=600).first_time("T1", event_id)


def test_one_process_sees_each_event_once(tmp_path: Path) -> None:
    d = EventDeduper(tmp_path / "db.sqlite3", ttl=600)
    assert d.first_time("T1", "Ev1")
    assert not d.first_time("T1", "Ev1")
    assert d.first_time("T2", "Ev1")  # event ids are per workspace


def test_processes_share_what_was_seen(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite3")
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        claims = pool.starmap(_claim, [(path, f"Ev{i % 5}") for i in range(40)])
    assert sum(claims) == 5  # each of the five events claimed by exactly one delivery


def test_an_event_is_forgotten_after_the_ttl(tmp_path: Path) -> None:
    d = EventDeduper(tmp_path / "db.sqlite3", ttl=0.05)
    assert d.first_time("T1", "Ev1")
    time.sleep(0.1)
    assert d.first_time("T1", "Ev1")
