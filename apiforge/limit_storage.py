"""Where the per-user limits count: the login throttle (``auth/throttle.py``) and the write
limit (``server/rate_limits.py``), both the ``limits`` library's moving window.

One process: the library's memory storage. Several processes sharing a Redis bus
(``APIFORGE_BUS=redis``): the library's Redis storage (``async+redis://``, through redis-py, the
client the bus uses), its keys under ``APIFORGE_REDIS_PREFIX`` + ``limits``, so a user's
attempts and writes count together on every process, whichever one a proxy sends them to. The
window's bookkeeping runs in Redis as one Lua script per hit, so hits sent to two processes at
once cannot both take the last free slot.

With Redis away, a request that must be counted is refused with 503 ``limits_unavailable``
(retryable) rather than let through uncounted: the limits protect passwords and the server.
Owned by the app lifespan (``AppServices.limits``).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Iterator

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from apiforge.errors import ServiceUnavailable
from apiforge.events import redis_bus
from apiforge.settings import Settings

UNAVAILABLE = "The rate limits cannot be counted now (their Redis is away); try again shortly"


class LimitStorage:
    def __init__(self, storage: Storage, client: Redis | None = None) -> None:
        self._storage = storage
        self._client = client
        self._limiter = MovingWindowRateLimiter(storage)

    @classmethod
    def memory(cls) -> LimitStorage:
        return cls(MemoryStorage())

    @classmethod
    def from_settings(cls, settings: Settings) -> LimitStorage:
        if settings.bus != "redis":
            return cls.memory()
        # A command timeout as well: with Redis stalled (accepting, not answering) a sign-in
        # or a write is refused with 503 after it, instead of hanging.
        client = redis_bus.command_client(settings.redis_url)
        storage = RedisStorage(
            f"async+{settings.redis_url}",
            implementation="redispy",
            key_prefix=f"{settings.redis_prefix}limits",
            wrap_exceptions=True,
            connection_pool=client.connection_pool,  # type: ignore[arg-type]  # passed on to redis-py
        )
        return cls(storage, client)

    @property
    def shared(self) -> bool:
        return self._client is not None

    async def hit(self, item: RateLimitItem, *keys: str) -> bool:
        """Count one request; False (and not counted) when the window is full."""
        with _reachable():
            return await self._limiter.hit(item, *keys)

    async def seconds_until_free(self, item: RateLimitItem, *keys: str) -> int:
        with _reachable():
            stats = await self._limiter.get_window_stats(item, *keys)
        return math.ceil(stats.reset_time - time.time())

    async def clear(self, item: RateLimitItem, *keys: str) -> None:
        with _reachable():
            await self._limiter.clear(item, *keys)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        elif isinstance(self._storage, MemoryStorage):
            # The memory storage starts a short task to drop expired entries after a hit.
            timer = self._storage.timer
            if timer is not None and not timer.done():
                timer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await timer


@contextlib.contextmanager
def _reachable() -> Iterator[None]:
    try:
        yield
    except (StorageError, RedisError, OSError) as error:
        raise ServiceUnavailable(UNAVAILABLE, code="limits_unavailable") from error
