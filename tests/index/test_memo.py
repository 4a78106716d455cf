"""The bounded get-or-make cache behind records, word sets, spans and spelling repairs."""

from __future__ import annotations

import pytest

from index.memo import BoundedMemo


def test_values_are_made_once_then_remembered() -> None:
    made: list[int] = []

    def square(n: int) -> int:
        made.append(n)
        return n * n

    memo: BoundedMemo[int, int] = BoundedMemo(square, limit=10)
    assert [memo[3], memo[3], memo[4], memo[3]] == [9, 9, 16, 9]
    assert made == [3, 4] and len(memo) == 2


def test_a_full_memo_is_emptied_and_refilled_never_beyond_its_limit() -> None:
    memo: BoundedMemo[int, str] = BoundedMemo(str, limit=3)
    for n in range(10):
        assert memo[n] == str(n)
        assert 1 <= len(memo) <= 3
    assert memo[0] == "0"  # made again after it was dropped


def test_falsy_and_none_values_are_remembered_too() -> None:
    calls: list[str] = []

    def nothing(key: str) -> None:
        calls.append(key)

    memo: BoundedMemo[str, None] = BoundedMemo(nothing, limit=5)
    assert memo["a"] is None and memo["a"] is None
    assert calls == ["a"]


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        BoundedMemo(str, limit=0)
