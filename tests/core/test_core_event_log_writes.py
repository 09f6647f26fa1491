"""The event log's writes on SQLite when something happens while a batch commits: the batch is
on the writer thread (Database.transact), held there by another connection's write lock. The
database is tests/conftest.py's (SQLite)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import delete

from apiforge.events.bus import InMemoryBus
from apiforge.events.log import EventLog
from apiforge.store.db import Database
from apiforge.store.models import Project
from tests.log_events import chunk, new_project


@contextmanager
def write_lock_held(database: Database) -> Iterator[None]:
    """Another connection holds SQLite's write lock: a batch's BEGIN IMMEDIATE waits for it."""
    path = database.url.split("///", 1)[1]
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("COMMIT")
        other.close()


async def test_a_settle_cancelled_while_its_batch_commits_leaves_it_written_once(
    database: Database,
) -> None:
    # A generation interrupted at a stop while it settles: the commit on the thread goes on;
    # the batch must not stay pending (written again: its seq's unique key fails, and the
    # writer retries that forever) nor go unpublished.
    project = await new_project(database)
    bus = InMemoryBus()
    log = EventLog(database, bus)
    with bus.subscribe(project) as subscription:
        first = await log.append(chunk(project, "first"))
        with write_lock_held(database):
            settling = asyncio.create_task(log.settle())
            await asyncio.sleep(0.3)
            settling.cancel()
            await asyncio.sleep(0.1)
        with pytest.raises(asyncio.CancelledError):
            await settling
        second = await log.append(chunk(project, "second"))
        await log.settle()
        received = [e.seq for e in subscription.drain(10)]
    assert received == [first.seq, second.seq]
    assert [e.seq for e in await log.read_after(project, 0)] == [first.seq, second.seq]


async def test_forgetting_a_project_while_a_batch_commits_keeps_what_came_after(
    database: Database,
) -> None:
    kept, gone = await new_project(database), await new_project(database)
    log = EventLog(database, InMemoryBus())
    for project in (kept, gone, kept):
        await log.append(chunk(project, "x"))
    with write_lock_held(database):
        flushing = asyncio.create_task(log.flush())
        await asyncio.sleep(0.3)
        log.forget(gone)
        after = await log.append(chunk(kept, "appended while the batch committed"))
    await flushing
    await log.settle()
    assert [e.seq for e in await log.read_after(kept, 0)][-1] == after.seq


async def test_a_batch_written_again_without_a_deleted_project_still_trims(
    database: Database,
) -> None:
    # Retention 1000: a trim every 10 events. The batch that is due fails on the deleted
    # project's foreign key and is written again: the trim must happen then, not up to 10
    # events later.
    kept, gone = await new_project(database), await new_project(database)
    log = EventLog(database, InMemoryBus(), retention=1000)
    for i in range(1008):
        await log.append(chunk(kept, str(i)))
    await log.settle()
    for project in (kept, gone, kept):
        await log.append(chunk(project, "x"))
    async with database.transaction() as session:
        await session.execute(delete(Project).where(Project.id == gone))
    await log.settle()
    for i in range(7):
        await log.append(chunk(kept, f"after {i}"))
        await log.settle()
    assert len(await log.read_after(kept, 0)) <= 1010
