"""The Redis Streams bus between two app instances in one test process (two buses, two logs,
one Postgres database, one Redis prefix): what one publishes a subscriber of the other gets, in
seq order, joined to the log without gap or duplicate."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing, suppress
from dataclasses import dataclass

import pytest

from apiforge.events.bus import Envelope
from apiforge.events.feed import project_feed
from apiforge.events.log import EventLog
from apiforge.events.redis_bus import READ_BLOCK_MS, RedisBus
from apiforge.events.types import Event, MessageChunk, PreviewReady, Snapshot, VersionStart
from apiforge.store.db import Database
from tests.log_events import chunk, new_project
from tests.scale.conftest import REDIS_URL

pytestmark = pytest.mark.scale


@dataclass
class Instance:
    bus: RedisBus
    log: EventLog


async def open_instance(db: Database, prefix: str, redis_url: str = REDIS_URL) -> Instance:
    bus = RedisBus(redis_url, prefix)
    await bus.start()
    log = EventLog(db, bus, flush_interval_s=0.002, batch_max=7)
    await log.start()
    return Instance(bus, log)


async def close_instance(instance: Instance) -> None:
    await instance.log.aclose()
    await instance.bus.aclose()


@pytest.fixture
async def pair(database: Database, redis_prefix: str) -> AsyncIterator[tuple[Instance, Instance]]:
    """Two app instances; closed before the prefix's keys are deleted, even when a test fails
    (a publisher left running would write keys after that)."""
    a = await open_instance(database, redis_prefix)
    b = await open_instance(database, redis_prefix)
    yield a, b
    await close_instance(a)
    await close_instance(b)


async def empty_snapshot(project_id: str) -> Snapshot:
    return Snapshot(project_id=project_id, version_number=0, version={})


def instance_feed(
    instance: Instance, pid: str, last_id: int | None
) -> AsyncGenerator[list[Envelope], None]:
    """The project's feed on ``instance``, as a stream route would read it."""
    return project_feed(
        log=instance.log,
        bus=instance.bus,
        project_id=pid,
        last_event_id=last_id,
        heartbeat_s=5,
        build_snapshot=empty_snapshot,
    )


async def consume(instance: Instance, pid: str, last_id: int, until_seq: int) -> list[int]:
    feed = instance_feed(instance, pid, last_id)
    seqs: list[int] = []
    async with aclosing(feed):  # the client goes away: its subscription ends now
        async for batch in feed:
            seqs.extend(envelope.seq for envelope in batch)
            if seqs and seqs[-1] >= until_seq:
                break
    return seqs


async def produce(instance: Instance, pid: str, count: int) -> None:
    """Appends ``count`` chunks; with a shared bus their seqs are given when they commit."""
    rng = random.Random(7)
    for i in range(count):
        await instance.log.append(chunk(pid, str(i)))
        if rng.random() < 0.3:
            await asyncio.sleep(0.001)


async def logged(instance: Instance, pid: str) -> list[int]:
    """The project's seqs in the log, once what ``instance`` appended is committed."""
    await instance.log.flush()
    return [envelope.seq for envelope in await instance.log.read_after(pid, 0)]


async def test_events_of_one_instance_reach_the_other_joined_exactly(
    database: Database, pair: tuple[Instance, Instance]
) -> None:
    a, b = pair
    pid = await new_project(database)
    await produce(a, pid, 30)
    head = await logged(a, pid)
    # The last seq is known up front: a project's seqs are numbered without holes.
    assert head == list(range(1, 31))
    last = head[-1] + 300
    producer = asyncio.create_task(produce(a, pid, 150))
    readers = [asyncio.create_task(consume(b, pid, head[9], last)) for _ in range(4)]
    # Clients connecting while events flow, each resuming from a different id.
    await asyncio.sleep(0.05)
    late = [asyncio.create_task(consume(b, pid, head[i], last)) for i in (0, 20, 29)]
    await producer
    while b.bus.subscriber_count(pid) < 7:  # all waiting: the last 150 events are to come
        await asyncio.sleep(0.005)
    assert b.bus.reader_count() == 1  # one reader for the project, whatever the clients
    await produce(a, pid, 150)
    produced = await logged(a, pid)
    assert produced == list(range(1, last + 1))
    for reader in readers:
        assert await reader == produced[10:]
    for start, reader in zip((0, 20, 29), late, strict=True):
        assert await reader == produced[start + 1 :]
    assert b.bus.subscriber_count() == 0
    assert b.bus.reader_count() == 0


async def test_subscriber_sees_each_event_once_in_order(
    database: Database, pair: tuple[Instance, Instance]
) -> None:
    a, b = pair
    pid = await new_project(database)
    lags: dict[str, list[float]] = {"a": [], "b": []}
    a.bus.observe_lag, b.bus.observe_lag = lags["a"].append, lags["b"].append
    with b.bus.subscribe(pid) as first, b.bus.subscribe(pid) as second:
        await first.ready()
        await second.ready()
        await produce(a, pid, 50)
        for subscription in (first, second):
            got: list[Envelope] = []
            while len(got) < 50:
                envelope = await subscription.get(timeout=10)
                assert envelope is not None, "an event did not arrive"
                got.append(envelope)
            assert [e.seq for e in got] == list(range(1, 51))
            assert [key(e) for e in got] == [str(i) for i in range(50)]
    # One lag per entry read (one reader, however many subscriptions), where it was read: from
    # the publisher's XADD to the reader's hand-over, well under the read's block.
    assert len(lags["b"]) == 50 and lags["a"] == []
    assert all(0 <= lag < 5 for lag in lags["b"]) and sum(lags["b"]) > 0


async def burst(instance: Instance, pid: str, version: int, count: int) -> None:
    """What one process emits for a version: a version:start, then chunks."""
    start = VersionStart(project_id=pid, version_number=version, version_id="v", prompt="p")
    await instance.log.append(start)
    for i in range(count):
        event = MessageChunk(project_id=pid, version_number=version, text=str(i))
        await instance.log.append(event)


async def test_versions_run_by_different_processes_keep_seq_increasing(
    database: Database, pair: tuple[Instance, Instance]
) -> None:
    a, b = pair
    pid = await new_project(database)
    for version, instance in enumerate((a, b, a, b), start=1):
        await burst(instance, pid, version, 5)
        await instance.log.flush()
    produced = await logged(a, pid)
    assert produced == list(range(1, 25))
    versions = [e.event.version_number for e in await a.log.read_after(pid, 0)]
    assert versions == sorted(versions)
    # A client of either process resuming from the newest burst's middle gets its rest (not a
    # snapshot: the id is one the project gave, though not this process).
    for instance in (a, b):
        assert await consume(instance, pid, produced[-3], produced[-1]) == produced[-2:]


async def test_a_reader_whose_task_could_not_start_is_not_kept(redis_prefix: str) -> None:
    """A subscribe that cannot spawn its reader (here: the bus not started yet) leaves no
    reader behind; once the bus runs, a new subscriber gets a reader that does run."""
    bus = RedisBus(REDIS_URL, redis_prefix)
    with pytest.raises(RuntimeError, match="not started"), bus.subscribe("p1"):
        pass
    assert bus.reader_count() == 0
    await bus.start()
    try:
        with bus.subscribe("p1") as subscription:
            await asyncio.wait_for(subscription.ready(), timeout=5)
            assert bus.reader_count() == 1
            # Into its blocking XREAD before it is cancelled: a cancel that lands as the read
            # starts is swallowed by redis-py (redis/redis-py#2028) and waits out the block.
            await asyncio.sleep(0.2)
    finally:
        await bus.aclose()


async def test_a_quiet_project_keeps_its_live_stream(
    database: Database, pair: tuple[Instance, Instance]
) -> None:
    """Longer than one blocking read with nothing to read (its socket must outwait it), then
    an event: the same subscription gets it, and its reader ends when it leaves."""
    a, b = pair
    pid = await new_project(database)
    with b.bus.subscribe(pid) as subscription:
        await asyncio.wait_for(subscription.ready(), timeout=5)
        await asyncio.sleep(READ_BLOCK_MS / 1000 + 1.5)
        await a.log.append(chunk(pid, "after the quiet"))
        envelope = await subscription.get(timeout=5)
        assert envelope is not None and key(envelope) == "after the quiet"
        assert envelope.seq == 1
    assert b.bus.reader_count() == 0


def key(envelope: Envelope) -> str:
    """What identifies an event of these tests whatever its seq: its text, or its type."""
    event = envelope.event
    return event.text if isinstance(event, MessageChunk) else event.type


async def emit(instance: Instance, pid: str, first: Event, texts: list[str], seed: int) -> None:
    """One process's events for the project: ``first``, then a chunk per text, paced at random
    so that two emitters interleave."""
    rng = random.Random(seed)
    await instance.log.append(first)
    for text in texts:
        await instance.log.append(chunk(pid, text))
        if rng.random() < 0.3:
            await asyncio.sleep(rng.random() * 0.004)


async def watch(
    instance: Instance, pid: str, last_id: int | None, total: int, got: list[Envelope]
) -> None:
    feed = instance_feed(instance, pid, last_id)
    async with aclosing(feed):
        async for batch in feed:
            got.extend(batch)
            if len(got) >= total:
                return


@pytest.fixture
async def third(database: Database, redis_prefix: str) -> AsyncIterator[Instance]:
    """A third app instance: an API replica that only serves clients."""
    instance = await open_instance(database, redis_prefix)
    yield instance
    await close_instance(instance)


async def finished(*clients: asyncio.Task[None]) -> None:
    for client in clients:
        with suppress(TimeoutError):  # what was missed shows in the test's assertions
            await asyncio.wait_for(client, timeout=10)


async def test_concurrent_writers_of_one_project_reach_every_replica_in_order(
    database: Database, pair: tuple[Instance, Instance], third: Instance
) -> None:
    """A generation on A while B starts a preview of the project (issue 15's "events from
    workers *and* API replicas"): a live client on a third replica, and one resuming on B, get
    every event once, in increasing seq order, and the log's replay equals what they saw."""
    (a, b), c = pair, third
    pid = await new_project(database)
    a_texts, b_texts = [f"a{i}" for i in range(150)], [f"b{i}" for i in range(100)]
    start = VersionStart(project_id=pid, version_number=1, version_id="v", prompt="p")
    ready = PreviewReady(project_id=pid, version_number=1, url="/preview/x")
    total = 2 + len(a_texts) + len(b_texts)
    live: list[Envelope] = []
    client = asyncio.create_task(watch(c, pid, None, total, live))
    await emit(a, pid, start, a_texts[:5], seed=1)
    await a.log.flush()  # A's burst is under way (committed, so its reservation is taken)
    writers = [
        asyncio.create_task(emit(a, pid, chunk(pid, a_texts[5]), a_texts[6:], seed=2)),
        asyncio.create_task(emit(b, pid, ready, b_texts, seed=3)),
    ]
    while len(live) < 10:
        await asyncio.sleep(0.005)
    resumed: list[Envelope] = []
    late = asyncio.create_task(watch(b, pid, live[9].seq, total - 10, resumed))
    await asyncio.gather(*writers)
    await a.log.flush()
    await b.log.flush()
    await finished(client, late)
    seqs = [e.seq for e in live]
    assert seqs == sorted(set(seqs)), "live seqs not strictly increasing"
    assert Counter(map(key, live)) == Counter([*a_texts, *b_texts, start.type, ready.type])
    # Each writer's own events keep their order.
    assert [k for k in map(key, live) if k.startswith("a")] == a_texts
    assert [k for k in map(key, live) if k.startswith("b")] == b_texts
    assert [e.seq for e in resumed] == seqs[10:]
    replay = await c.log.read_after(pid, 0)
    assert [(e.seq, key(e)) for e in replay] == [(e.seq, key(e)) for e in live]


async def test_a_reader_puts_late_published_events_back_in_order(
    database: Database, pair: tuple[Instance, Instance], redis_prefix: str
) -> None:
    """Two processes' publishers race: the stream gets a project's newer events before older
    ones (here: committed through a bus of another prefix, then published newest first). A
    client still gets each once, in seq order, the older ones from the log."""
    a, b = pair
    pid = await new_project(database)
    elsewhere = await open_instance(database, redis_prefix + "elsewhere:")
    try:
        received: list[Envelope] = []
        client = asyncio.create_task(watch(b, pid, None, 12, received))
        await emit(a, pid, chunk(pid, "t0"), ["t1"], seed=4)
        await a.log.flush()
        while len(received) < 2:
            await asyncio.sleep(0.005)
        await emit(elsewhere, pid, chunk(pid, "t2"), [f"t{i}" for i in range(3, 12)], seed=5)
        await elsewhere.log.flush()
        committed = await a.log.read_after(pid, received[-1].seq)
        for envelope in reversed(committed):
            a.bus.publish(envelope)
        await finished(client)
        assert [key(e) for e in received] == [f"t{i}" for i in range(12)]
        seqs = [e.seq for e in received]
        assert seqs == sorted(set(seqs))
    finally:
        await close_instance(elsewhere)
