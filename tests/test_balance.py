"""service.balance: a worker over its share of connections asks clients to reconnect."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from service.balance import STARTING, ConnectionShares, ShedOverShare


def test_a_worker_over_its_fair_share_sheds_until_it_is_not() -> None:
    counts = [4, 0]  # what both workers published: all four connections on worker 0
    shares = ConnectionShares(counts, 0)
    assert shares.over_share()  # 4 > 2
    assert shares.over_share()  # 3 > 2, the one already closing not counted as its own
    assert not shares.over_share()  # 2 of 4 (their clients come back to either): fair
    shares.publish(3)  # one came back here, one went to worker 1 (not yet published)
    assert counts == [3, 0] and shares.over_share()  # 3 > 2 again: shed one more
    counts[1] = 1
    assert not shares.over_share()  # 2 of 4 once that one has gone


def test_the_other_worker_and_odd_totals_do_not_churn() -> None:
    counts = [1, 4]
    assert not ConnectionShares(counts, 0).over_share()  # under its share: never sheds
    counts[:] = [5, 4]
    assert not ConnectionShares(counts, 0).over_share()  # 9 over 2 rounds up to 5
    counts[:] = [1, 0]
    assert not ConnectionShares(counts, 0).over_share()  # one client stays where it is


def test_three_workers_share_by_thirds() -> None:
    counts = [5, 2, 2]
    shares = ConnectionShares(counts, 0)
    assert shares.over_share()  # fair is 3
    assert shares.over_share()
    assert not shares.over_share()


def test_a_worker_still_starting_takes_no_share() -> None:
    # worker 1 was replaced and is loading: worker 0 holds all 8, and that is its share
    counts = [8, STARTING]
    assert not ConnectionShares(counts, 0).over_share()
    counts[1] = 0  # it is listening now: half of them should move
    assert ConnectionShares(counts, 0).over_share()
    # and the starting worker itself never sheds
    assert not ConnectionShares([8, STARTING], 1).over_share()
    assert not ConnectionShares([STARTING, STARTING], 0).over_share()


def test_a_slot_outside_the_workers_is_refused() -> None:
    with pytest.raises(ValueError, match="slot 2"):
        ConnectionShares([0, 0], 2)


def _call(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    asyncio.run(app(scope, receive, send))
    return sent


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x", b"1")]})
    await send({"type": "http.response.body", "body": b"ok"})


def test_the_response_of_a_worker_over_its_share_closes_the_connection() -> None:
    counts = [3, 1]
    app = ShedOverShare(_ok, ConnectionShares(counts, 0))
    first = _call(app, {"type": "http", "path": "/ask"})
    assert first[0]["headers"] == [(b"x", b"1"), (b"connection", b"close")]
    assert first[1] == {"type": "http.response.body", "body": b"ok"}  # the body is untouched
    second = _call(app, {"type": "http", "path": "/ask"})  # 2 of 4 once that one has gone
    assert second[0]["headers"] == [(b"x", b"1")]
    assert _call(ShedOverShare(_ok, ConnectionShares([1, 3], 0)), {"type": "http"})[0][
        "headers"
    ] == [(b"x", b"1")]


def test_lifespan_and_websocket_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    shed = ShedOverShare(app, ConnectionShares([9, 0], 0))
    _call(shed, {"type": "lifespan"})
    assert seen == ["lifespan"]
