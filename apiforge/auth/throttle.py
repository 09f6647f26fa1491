"""Failed logins per username and client address (``APIFORGE_LOGIN_ATTEMPTS_PER_MINUTE``).

Only failures count, so a person who types their password right is never slowed down: each
attempt is counted when it starts and taken back (with the pair's earlier failures) when its
password is right. Counted up front, not once it has failed: attempts sent all at once would
otherwise all pass a check made before the first of them had failed. The key is the pair, so
guessing one user's password from one address is throttled without letting that address lock
the user out everywhere else. The ``limits`` library's moving window, in memory, as for the
write limit (server/rate_limits.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time

from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from apiforge.errors import RateLimited


class LoginThrottle:
    """Owned by the app lifespan (through Accounts); ``aclose`` ends the storage's timer."""

    def __init__(self, per_minute: int) -> None:
        self._item = RateLimitItemPerMinute(per_minute)
        self._storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)

    async def attempt(self, username: str, client: str) -> None:
        """Count a sign-in attempt, refused when the last minute had the limit of failures."""
        if await self._limiter.hit(self._item, "login", username, client):
            return
        stats = await self._limiter.get_window_stats(self._item, "login", username, client)
        raise RateLimited(
            "Too many failed sign-ins for this user; wait before trying again",
            code="too_many_logins",
            retry_after_s=math.ceil(stats.reset_time - time.time()),
        )

    async def succeeded(self, username: str, client: str) -> None:
        """The password was right: none of this pair's attempts counts as a failure."""
        await self._limiter.clear(self._item, "login", username, client)

    async def aclose(self) -> None:
        timer = self._storage.timer
        if timer is not None and not timer.done():
            timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timer
