"""``Subscription.get(timeout)`` says "silence" only when nothing came for ``timeout``: its one
kept-armed timer (events/bus.py) must neither fire during a steady stream nor outlive it."""

from __future__ import annotations

import asyncio

from apiforge.events.bus import Envelope, InMemoryBus
from apiforge.events.types import MessageChunk

TIMEOUT_S = 0.2


def envelope(seq: int) -> Envelope:
    event = MessageChunk(project_id="p", version_number=1, text=str(seq))
    return Envelope.wrap(event.model_copy(update={"seq": seq}))


async def test_a_steady_stream_is_never_silence_and_a_pause_is() -> None:
    bus = InMemoryBus()
    with bus.subscribe("p") as subscription:

        async def publish(count: int) -> None:
            for seq in range(1, count + 1):
                await asyncio.sleep(TIMEOUT_S / 4)
                bus.publish(envelope(seq))

        # Published for 3 timeouts in all, a quarter of one apart: each get has its event.
        publisher = asyncio.create_task(publish(12))
        got = [await subscription.get(timeout=TIMEOUT_S) for _ in range(12)]
        await publisher
        assert [e.seq if e else None for e in got] == list(range(1, 13))
        # Then nothing: one silence, and an event after it is delivered as usual.
        assert await subscription.get(timeout=TIMEOUT_S) is None
        bus.publish(envelope(13))
        delivered = await subscription.get(timeout=TIMEOUT_S)
        assert delivered is not None and delivered.seq == 13


def live_timers(loop: asyncio.AbstractEventLoop) -> int:
    scheduled: list[asyncio.TimerHandle] = loop._scheduled  # type: ignore[attr-defined]
    return sum(1 for handle in scheduled if not handle.cancelled())


async def test_a_cancelled_or_ended_wait_leaves_no_timer_behind() -> None:
    bus = InMemoryBus()
    loop = asyncio.get_running_loop()
    before = live_timers(loop)
    with bus.subscribe("p") as subscription:
        waiting = asyncio.create_task(subscription.get(timeout=60))
        await asyncio.sleep(0.01)
        assert live_timers(loop) == before + 1
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        bus.publish(envelope(1))
        assert await subscription.get(timeout=60) is not None  # arms nothing: an item waits
        second = asyncio.create_task(subscription.get(timeout=60))
        await asyncio.sleep(0.01)
    # The stream ended (its subscription left the bus) while a wait was armed.
    ended = await asyncio.gather(second, return_exceptions=True)
    assert isinstance(ended[0], EOFError)
    assert live_timers(loop) == before
