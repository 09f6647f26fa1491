"""Redis away while events are published: they are in the log all the same, live streams end
(so clients resume from the log), and the bus works again once Redis is back."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator

import pytest
from limits import parse

from apiforge.errors import ServiceUnavailable
from apiforge.events import redis_bus
from apiforge.events.bus import Envelope
from apiforge.events.types import VersionComplete
from apiforge.limit_storage import LimitStorage
from apiforge.server.routes_generate import RESUBSCRIBE_S, follow_version
from apiforge.server.stream_connections import StreamConnections
from apiforge.settings import Settings
from apiforge.store.db import Database
from tests.log_events import chunk, new_project
from tests.scale.private_redis import PrivateRedis
from tests.scale.test_scale_bus import (
    close_instance,
    instance_feed,
    open_instance,
)

pytestmark = pytest.mark.scale


async def test_events_published_while_redis_is_down_are_in_the_log(
    database: Database, private_redis: PrivateRedis
) -> None:
    instance = await open_instance(database, "t:", private_redis.url)
    pid = await new_project(database)
    with instance.bus.subscribe(pid) as subscription:
        await subscription.ready()
        private_redis.stop()
        for i in range(5):
            await instance.log.append(chunk(pid, str(i)))
        await instance.log.flush()
        appended = [1, 2, 3, 4, 5]  # numbered as they are committed
        # The live stream ends (SSE completes, WebSocket closes): the client reconnects.
        with pytest.raises(EOFError):
            while True:
                await subscription.get(timeout=10)
    assert [e.seq for e in await instance.log.read_after(pid, 0)] == appended
    private_redis.start()
    with instance.bus.subscribe(pid) as again:
        await again.ready()
        await instance.log.append(chunk(pid, "back"))
        later = appended[-1] + 1  # a project's seqs have no holes
        received: list[int] = []
        while not received or received[-1] < later:
            envelope = await again.get(timeout=10)
            assert envelope is not None, "nothing arrived after Redis came back"
            received.append(envelope.seq)
    # The publisher kept the batch Redis refused and sends it, in order, once it is back
    # (before or after this subscription began: either way nothing arrives out of order).
    assert received == [*appended, later][-len(received) :]
    await close_instance(instance)


async def test_a_stalled_redis_is_a_503_and_an_unknown_total_not_a_hang(
    private_redis: PrivateRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis accepting connections but not answering (its host stalled): a request counted by
    the limits is refused and stream-status's total is unknown, each within the command
    timeout, instead of waiting for as long as Redis is stalled."""
    monkeypatch.setattr(redis_bus, "COMMAND_TIMEOUT_S", 0.5)
    settings = Settings(bus="redis", redis_url=private_redis.url, redis_prefix="stalled:")
    limits = LimitStorage.from_settings(settings)
    share = StreamConnections.from_settings(settings)
    assert share.share is not None
    await limits.hit(parse("5/minute"), "warm-up")  # connected before the stall
    assert private_redis.process is not None
    private_redis.process.send_signal(signal.SIGSTOP)
    try:
        async with asyncio.timeout(10):
            with pytest.raises(ServiceUnavailable):
                await limits.hit(parse("5/minute"), "someone")
            assert await share.total("p1") is None
    finally:
        private_redis.process.send_signal(signal.SIGCONT)
        await limits.aclose()
        await share.aclose()


async def test_following_a_version_while_redis_is_down_waits_between_subscribes(
    database: Database, private_redis: PrivateRedis
) -> None:
    """POST /api/generate's wait (follow_version) with Redis away: each subscription ends at
    once, and the version's events are read from the log, a round every RESUBSCRIBE_S rather
    than as fast as the database answers (a round is a Redis connect and two reads)."""
    instance = await open_instance(database, "t:", private_redis.url)
    pid = await new_project(database)
    private_redis.stop()
    rounds = 0

    def feed(last_id: int | None) -> AsyncIterator[list[Envelope]]:
        nonlocal rounds
        rounds += 1
        return instance_feed(instance, pid, last_id)

    async def end_later() -> None:
        await asyncio.sleep(1.0)
        done = VersionComplete(
            project_id=pid, version_number=1, summary="", files_changed=0, duration_ms=1
        )
        await instance.log.append(done)

    try:
        async with asyncio.timeout(10), asyncio.TaskGroup() as group:
            group.create_task(end_later())
            seen = [batch async for batch in follow_version(feed, instance.bus, 1) if batch]
        assert seen[-1][-1].event.type == "version:complete"
        assert rounds <= 1 + 1.0 / RESUBSCRIBE_S + 1, rounds
    finally:
        await close_instance(instance)
