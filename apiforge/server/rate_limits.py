"""Write requests per user per minute (``APIFORGE_LIMIT_WRITES_PER_MINUTE``).

Counted with the ``limits`` library's moving window: the last minute, not a calendar minute, so
a burst cannot get twice the allowance across a minute's edge. The storage is in memory, which
is right for one server process; several processes behind one address would share a Redis
storage of the same library (``async+redis://``) instead. A refused request is not counted, so
a client retrying too fast is not locked out longer.

Every ``/api`` request with a write method is counted by one app-wide dependency
(:func:`count_write`), so no route can forget it; WebSocket actions are counted by the socket
(``routes_stream.py``). Requests without a principal are not counted: they are refused with 401.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time

from fastapi.requests import HTTPConnection
from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from apiforge.auth.principal import Principal
from apiforge.errors import RateLimited

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class WriteLimiter:
    """Owned by the app lifespan (AppServices); ``aclose`` ends the storage's expiry task."""

    def __init__(self, per_minute: int) -> None:
        self._item = RateLimitItemPerMinute(per_minute) if per_minute > 0 else None
        self._storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)

    async def check(self, user_id: str) -> None:
        """Count one write of ``user_id``, or refuse it when the last minute had the limit."""
        if self._item is None or await self._limiter.hit(self._item, "writes", user_id):
            return
        stats = await self._limiter.get_window_stats(self._item, "writes", user_id)
        raise RateLimited(
            f"More than {self._item.amount} changes in a minute; slow down",
            code="too_many_writes",
            retry_after_s=math.ceil(stats.reset_time - time.time()),
        )

    async def aclose(self) -> None:
        # The in-memory storage starts a short task to drop expired entries after a hit.
        timer = self._storage.timer
        if timer is not None and not timer.done():
            timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timer


def is_write(method: str, path: str) -> bool:
    return method in WRITE_METHODS and path.startswith("/api/")


async def count_write(connection: HTTPConnection) -> None:
    """App-wide dependency: count this request against its user's writes per minute."""
    scope = connection.scope
    if scope["type"] != "http" or not is_write(scope["method"], connection.url.path):
        return
    principal = getattr(connection.state, "principal", None)
    if isinstance(principal, Principal):
        await connection.app.state.services.writes.check(principal.user_id)
