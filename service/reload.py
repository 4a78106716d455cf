"""Swaps a new index generation into a running process, between requests.

Every ``RAG_RELOAD_INTERVAL_S`` (and at once on SIGHUP) a background thread looks at the
index folder: what ``CURRENT`` names and the ``stat`` of that generation's files. When
they differ from what the process serves, it loads and verifies that generation beside
the one serving, warms it up, and swaps it in with one assignment: a request in flight
finishes on the pipeline it started with, the next one gets the new. A generation that
fails its checks is refused and logged, once per state of its files, and the old one
keeps serving. A process that could load nothing, or only an older generation
(``Pipeline.degraded``), keeps looking the same way, so repairing the index brings it back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from index.generation import IndexLoadError, Stamp, current_generation
from service.observe import Metrics
from service.pipeline import Pipeline

log = logging.getLogger(__name__)

Seen = tuple[str, tuple[tuple[str, Stamp], ...]]


def look(index_dir: Path) -> Seen | None:
    """The live generation's name and its files' stamps (cheap: one ``stat`` per file);
    None when there is no readable ``CURRENT``."""
    try:
        gen = current_generation(index_dir)
        stamps = tuple(sorted((p.name, Stamp.of(p)) for p in gen.iterdir() if p.is_file()))
    except (IndexLoadError, OSError):
        return None
    return gen.name, stamps


class IndexWatcher:
    """The thread that keeps a process on the newest generation that verifies."""

    def __init__(
        self,
        index_dir: Path,
        interval_s: float,
        current: Callable[[], Pipeline | None],
        swap: Callable[[Pipeline], None],
        load: Callable[[], Pipeline],
        metrics: Metrics,
    ) -> None:
        """``current``: the pipeline serving (None: none loaded); ``swap`` installs a new
        one; ``load`` builds one from nothing (used when none was ever loaded)."""
        self.index_dir = index_dir
        self.interval_s = interval_s
        self.current = current
        self.swap = swap
        self.load = load
        self.metrics = metrics
        self.serving: Seen | None = None  # the live generation as last loaded
        self.refused: Seen | None = None  # ... as last refused: not tried again unchanged
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="index-watcher", daemon=True)

    def start(self, seen: Seen | None) -> None:
        """Start watching; ``seen``: what ``look`` found just before the first load."""
        self._record(seen, self.current())
        self._thread.start()

    def _record(self, seen: Seen | None, pipeline: Pipeline | None) -> None:
        if pipeline is not None and pipeline.degraded is None:
            self.serving, self.refused = seen, None
        else:
            self.refused = seen

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def check_now(self) -> None:
        """Look at once (SIGHUP); safe from a signal handler."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s or None)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.check()
            except Exception:  # the watcher must outlive any one bad generation
                log.exception("checking the index for a new generation failed")

    def check(self) -> bool:
        """Load the live generation if it is new or changed; whether one was swapped in."""
        seen = look(self.index_dir)
        pipeline = self.current()
        settled = pipeline is not None and pipeline.degraded is None
        if seen is None or seen == self.refused or (settled and seen == self.serving):
            return False
        name = seen[0]
        try:
            # with nothing loaded, ``load`` falls back on an older generation when it must
            new = self.load() if pipeline is None else pipeline.reloaded(self.index_dir / name)
        except IndexLoadError as exc:
            self.refused = seen
            self.metrics.reloads.labels("refused").inc()
            log.error("index %s refused, still serving the previous one: %s", name, exc)
            return False
        self._record(seen, new)
        self.swap(new)
        self.metrics.reloads.labels("loaded").inc()
        log.info("now serving index %s", new.store.path.name)
        return True
