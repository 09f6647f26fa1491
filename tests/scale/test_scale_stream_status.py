"""Stream-status totals across API processes: each process's connection counts in Redis, summed
by any of them; a process that vanished without cleaning up stops counting once stale. Two
processes' counters in one test process, on the real Redis (cheap: no servers to start)."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis
from redis.typing import EncodableT

from apiforge.api_models import ConnectionCounts
from apiforge.server.stream_connections import STALE_S, StreamConnections
from apiforge.settings import Settings
from tests.scale.conftest import REDIS_URL

pytestmark = pytest.mark.scale


async def total_when(
    connections: StreamConnections, project_id: str, wanted: ConnectionCounts
) -> ConnectionCounts | None:
    """The total once it is ``wanted`` (writes go out from a task), or after 2 s."""
    total = None
    for _ in range(100):
        total = await connections.total(project_id)
        if total == wanted:
            break
        await asyncio.sleep(0.02)
    return total


async def test_totals_sum_every_process(redis_prefix: str) -> None:
    settings = Settings(bus="redis", redis_url=REDIS_URL, redis_prefix=redis_prefix)
    a, b = StreamConnections.from_settings(settings), StreamConnections.from_settings(settings)
    await a.start()
    await b.start()
    try:
        with a.track("p", "sse"), a.track("p", "sse"), b.track("p", "websocket"):
            with b.track("other", "sse"):
                wanted = ConnectionCounts(sse=2, websocket=1)
                assert await total_when(a, "p", wanted) == wanted
                assert await total_when(b, "p", wanted) == wanted
                assert a.local("p") == ConnectionCounts(sse=2, websocket=0)
            # A process that died with connections open: its entry is ignored once stale.
            client = redis.Redis.from_url(REDIS_URL)
            dead: dict[EncodableT, EncodableT] = {
                "dead:sse": 5,
                "dead:websocket": 5,
                "dead:at": time.time() - STALE_S - 1,
            }
            client.hset(f"{redis_prefix}connections:p", mapping=dead)
            client.close()
            assert await total_when(b, "p", wanted) == wanted
        closed = ConnectionCounts(sse=0, websocket=0)
        assert await total_when(b, "p", closed) == closed
        assert await total_when(a, "other", closed) == closed
    finally:
        await a.aclose()
        await b.aclose()
