"""A bounded get-or-make cache, for values derived from an immutable index.

Records, word sets, spelling repairs and the like are made on first use and kept, but a
large corpus must not keep them all: when the cache is full it is emptied and refilled by
what questions reach next. Clearing costs nothing per hit, where an LRU would reorder on
every lookup; the values can always be made again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedMemo(Generic[K, V]):
    """``memo[key]`` is ``make(key)``, remembered while fewer than ``limit`` values are."""

    def __init__(self, make: Callable[[K], V], limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        self._make = make
        self._limit = limit
        self._values: dict[K, V] = {}

    def __getitem__(self, key: K) -> V:
        try:
            return self._values[key]
        except KeyError:
            pass
        value = self._make(key)
        if len(self._values) >= self._limit:
            self._values.clear()
        self._values[key] = value
        return value

    def __len__(self) -> int:
        return len(self._values)
