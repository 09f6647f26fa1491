"""version:start reaches the subscribers it wakes before the workflow's begin step returns.

When the step returns, DBOS checkpoints it in a thread; fan-out left until then competed with
that thread for the GIL and came out late (bench_core's p99 tail was always version:start).
"""

from __future__ import annotations

import asyncio

from apiforge.events.bus import InMemoryBus
from apiforge.events.log import EventLog
from apiforge.generation.plumbing.emitter import VersionEmitter
from apiforge.generation.version_run import RunBoard, VersionRun
from apiforge.store import repository as repo
from apiforge.store.db import Database


async def test_subscribers_run_with_version_start_before_begin_returns(
    database: Database,
) -> None:
    async with database.transaction() as session:
        project = await repo.create_project(session, name="p", owner_id="local")
        await repo.create_version(session, project=project, prompt="a todo api")
    bus = InMemoryBus()
    log = EventLog(database, bus)  # not started: nothing here needs the batches written
    emitter = VersionEmitter(log, project_id=project.id, version_number=1, coalesce_s=0)
    order: list[str] = []

    async def subscriber() -> None:
        with bus.subscribe(project.id) as subscription:
            subscription.mark_ready()
            envelope = await subscription.get()
            assert envelope is not None
            order.append(envelope.event.type)

    subscribers = [asyncio.create_task(subscriber()) for _ in range(3)]
    await asyncio.sleep(0)  # all three are waiting on their queues
    await VersionRun(database, RunBoard(), emitter).begin("offline")
    order.append("begin returned")
    await asyncio.gather(*subscribers)
    assert order == ["version:start"] * 3 + ["begin returned"]
