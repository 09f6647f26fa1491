"""Redis away while events are published: they are in the log all the same, live streams end
(so clients resume from the log), and the bus works again once Redis is back."""

from __future__ import annotations

import pytest

from apiforge.store.db import Database
from tests.scale.private_redis import PrivateRedis
from tests.scale.test_scale_bus import chunk, close_instance, new_project, open_instance

pytestmark = pytest.mark.scale


async def test_events_published_while_redis_is_down_are_in_the_log(
    database: Database, private_redis: PrivateRedis
) -> None:
    instance = await open_instance(database, "t:", private_redis.url)
    pid = await new_project(database)
    with instance.bus.subscribe(pid) as subscription:
        await subscription.ready()
        private_redis.stop()
        appended = [(await instance.log.append(chunk(pid, str(i)))).seq for i in range(5)]
        await instance.log.flush()
        # The live stream ends (SSE completes, WebSocket closes): the client reconnects.
        with pytest.raises(EOFError):
            while True:
                await subscription.get(timeout=10)
    assert [e.seq for e in await instance.log.read_after(pid, 0)] == appended
    private_redis.start()
    with instance.bus.subscribe(pid) as again:
        await again.ready()
        later = (await instance.log.append(chunk(pid, "back"))).seq
        received: list[int] = []
        while not received or received[-1] < later:
            envelope = await again.get(timeout=10)
            assert envelope is not None, "nothing arrived after Redis came back"
            received.append(envelope.seq)
    # The publisher kept the batch Redis refused and sends it, in order, once it is back
    # (before or after this subscription began: either way nothing arrives out of order).
    assert received == [*appended, later][-len(received) :]
    await close_instance(instance)
