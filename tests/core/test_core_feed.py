"""The event log and the replay+live join, against a real SQLite file and the in-process bus."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

from apiforge.events.bus import Envelope, InMemoryBus
from apiforge.events.feed import project_feed
from apiforge.events.log import SEQ_BLOCK, EventLog
from apiforge.events.types import Snapshot
from apiforge.store.db import Database
from tests.log_events import chunk, new_project


async def empty_snapshot(project_id: str) -> Snapshot:
    return Snapshot(project_id=project_id, version_number=0, version={})


async def collect(feed: AsyncIterator[list[Envelope]], count: int) -> list[int]:
    seqs: list[int] = []
    async for batch in feed:
        seqs.extend(envelope.seq for envelope in batch)
        if len(seqs) >= count:
            break
    return seqs


async def test_join_has_no_gap_or_duplicate_under_concurrent_appends(database: Database) -> None:
    bus = InMemoryBus()
    log = EventLog(database, bus, flush_interval_s=0.001, batch_max=7)
    await log.start()
    pid = await new_project(database)
    total = 400

    async def produce() -> list[int]:
        rng = random.Random(3)
        seqs = []
        for i in range(total):
            seqs.append((await log.append(chunk(pid, str(i)))).seq)
            if rng.random() < 0.2:
                await asyncio.sleep(0)
        return seqs

    async def consume(last_id: int, count: int) -> list[int]:
        feed = project_feed(
            log=log,
            bus=bus,
            project_id=pid,
            last_event_id=last_id,
            heartbeat_s=5,
            build_snapshot=empty_snapshot,
        )
        return await collect(feed, count)

    producer = asyncio.create_task(produce())
    readers = [asyncio.create_task(consume(0, total)) for _ in range(5)]
    produced = await producer
    late = await consume(produced[49], total - 50)
    for reader in readers:
        assert await reader == produced
    assert late == produced[50:]
    await log.aclose()
    assert bus.subscriber_count() == 0


async def test_seq_continues_past_reserved_block_after_restart(database: Database) -> None:
    pid = await new_project(database)
    first = EventLog(database, InMemoryBus())
    seen = [(await first.append(chunk(pid, "a"))).seq for _ in range(3)]
    # Simulate a crash: the log is dropped without flushing what clients already saw.
    second = EventLog(database, InMemoryBus())
    after = (await second.append(chunk(pid, "b"))).seq
    assert after > max(seen)
    assert after == SEQ_BLOCK + 1
    await first.aclose()
    await second.aclose()


async def test_trimmed_position_gets_a_snapshot(database: Database) -> None:
    bus = InMemoryBus()
    log = EventLog(database, bus, retention=10)
    pid = await new_project(database)
    seqs = [(await log.append(chunk(pid, str(i)))).seq for i in range(30)]
    await log.flush()
    assert await log.trimmed_through(pid) == seqs[19]
    feed = project_feed(
        log=log,
        bus=bus,
        project_id=pid,
        last_event_id=seqs[2],
        heartbeat_s=5,
        build_snapshot=empty_snapshot,
    )
    [first] = await anext(feed)
    assert first.event.type == "snapshot" and first.seq == seqs[-1]
    await feed.aclose()
    await log.aclose()


async def test_heartbeat_and_overflowed_subscriber(database: Database) -> None:
    bus = InMemoryBus(max_queued=3)
    log = EventLog(database, bus)
    await log.start()  # events reach the bus once the writer has committed them
    pid = await new_project(database)
    feed = project_feed(
        log=log,
        bus=bus,
        project_id=pid,
        last_event_id=None,
        heartbeat_s=0.05,
        build_snapshot=empty_snapshot,
    )
    assert await anext(feed) == []
    for i in range(10):
        await log.append(chunk(pid, str(i)))
    received = [e.seq async for batch in feed for e in batch]
    assert received == [1, 2, 3]
    assert bus.subscriber_count(pid) == 0
    await log.aclose()
