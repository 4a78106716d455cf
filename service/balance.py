"""Keeps the worker processes' shares of keep-alive connections even.

Each worker listens on its own SO_REUSEPORT socket and the kernel hashes every new
connection to one of them, whatever their load. A few long-lived connections (a proxy's
pool, a load test) then stay wherever the hash first put them: measured, 4 clients all on
one of two workers one time in eight and 3/1 half the time, 16 clients split up to 14/2.

So each worker publishes how many connections it holds into a small array shared with the
others, and a worker holding more than its fair share ends its next response with
``Connection: close``. The client reconnects, the kernel hashes the new connection afresh,
and connections drift to the worker that has fewer until the shares are equal. A client
loses nothing: the response is complete, and HTTP clients reconnect on their own.
"""

from __future__ import annotations

from collections.abc import MutableSequence

from service.guard import ASGIApp, Message, Receive, Scope, Send

STARTING = -1  # a worker's slot until its first count: it is not taking connections yet


class ConnectionShares:
    """This worker's slot in the array of connection counts all the workers share."""

    def __init__(self, counts: MutableSequence[int], slot: int) -> None:
        if not 0 <= slot < len(counts):
            raise ValueError(f"slot {slot} is outside the {len(counts)} workers")
        self.counts = counts
        self.slot = slot
        self._closing = 0  # connections told to close since the last publish

    def publish(self, held: int) -> None:
        """Record the connections this worker holds now (called on every server tick)."""
        self.counts[self.slot] = held
        self._closing = 0

    def over_share(self) -> bool:
        """Whether this worker holds more than its fair share; if so, count one as closing.

        The fair share is the total divided by the workers taking connections, rounded up,
        so an odd total (9 over 2 workers: 5/4) is already even and nothing churns. A worker
        still starting (its slot is ``STARTING``) takes no share: sending clients to it
        would only bring them back. Connections told to close still count in the total
        (their clients come back) but not in this worker's.
        """
        counts = list(self.counts)
        live = [c for c in counts if c != STARTING]
        if not live:
            return False
        fair = -(-sum(live) // len(live))
        if max(counts[self.slot], 0) - self._closing > fair:
            self._closing += 1
            return True
        return False


class ShedOverShare:
    """ASGI middleware: ``Connection: close`` on a response while this worker is over its share."""

    def __init__(self, app: ASGIApp, shares: ConnectionShares) -> None:
        self.app = app
        self.shares = shares

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def closing_send(message: Message) -> None:
            # decided as the response starts: it completes at once, and the close with it
            if message["type"] == "http.response.start" and self.shares.over_share():
                headers = [*message.get("headers", []), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, closing_send)
