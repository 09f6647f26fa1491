"""version:start, and the event that ends a version, reach the subscribers they wake before the
workflow step that sent them returns.

When a step returns, DBOS checkpoints it in a thread; fan-out left until then competed with
that thread for the GIL and came out late (bench_core's p99 tail was version:start, then the
last batch of a generation: step:start/step:complete/version:complete).
"""

from __future__ import annotations

import asyncio

from apiforge.events.bus import InMemoryBus
from apiforge.events.log import EventLog
from apiforge.events.types import VersionComplete
from apiforge.generation.plumbing.emitter import VersionEmitter
from apiforge.generation.version_run import RunBoard, VersionRun
from apiforge.store import repository as repo
from apiforge.store.db import Database

# What events/feed.py waits with between heartbeats: a get with a timeout, as a stream does.
HEARTBEAT_S = 30.0


async def emitter_of(database: Database, bus: InMemoryBus) -> VersionEmitter:
    async with database.transaction() as session:
        project = await repo.create_project(session, name="p", owner_id="local")
        await repo.create_version(session, project=project, prompt="a todo api")
    log = EventLog(database, bus)  # not started: the emitter writes these events itself
    return VersionEmitter(log, project_id=project.id, version_number=1, coalesce_s=0)


def subscribers(bus: InMemoryBus, project_id: str, order: list[str]) -> list[asyncio.Task[None]]:
    async def subscriber() -> None:
        with bus.subscribe(project_id) as subscription:
            subscription.mark_ready()
            envelope = await subscription.get(timeout=HEARTBEAT_S)
            assert envelope is not None
            order.append(envelope.event.type)

    return [asyncio.create_task(subscriber()) for _ in range(3)]


async def test_subscribers_run_with_version_start_before_begin_returns(
    database: Database,
) -> None:
    bus = InMemoryBus()
    emitter = await emitter_of(database, bus)
    order: list[str] = []
    tasks = subscribers(bus, emitter.project_id, order)
    await asyncio.sleep(0)  # all three are waiting on their queues
    await VersionRun(database, RunBoard(), emitter).begin("offline")
    order.append("begin returned")
    await asyncio.gather(*tasks)
    assert order == ["version:start"] * 3 + ["begin returned"]


async def test_subscribers_run_with_the_last_event_before_its_emit_returns(
    database: Database,
) -> None:
    bus = InMemoryBus()
    emitter = await emitter_of(database, bus)
    order: list[str] = []
    tasks = subscribers(bus, emitter.project_id, order)
    await asyncio.sleep(0)
    await emitter.emit(VersionComplete(**emitter.ids, summary="", files_changed=0, duration_ms=1))
    order.append("emit returned")
    await asyncio.gather(*tasks)
    assert order == ["version:complete"] * 3 + ["emit returned"]
