"""The Stop poll of a streaming generation on PostgreSQL: a database error while polling is not a
Stop (the generation goes on), and a Stop recorded by another process still ends the wait. On
SQLite there is no poll."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event

from apiforge.errors import GenerationCancelled
from apiforge.events.bus import InMemoryBus
from apiforge.events.log import EventLog
from apiforge.generation.plumbing.emitter import VersionEmitter
from apiforge.generation.steps.streaming import until_cancelled
from apiforge.generation.version_run import RunBoard, VersionRun, request_stop
from apiforge.store import repository as repo
from apiforge.store.db import Database
from tests.scale.conftest import PG_ADMIN

pytestmark = pytest.mark.scale


def emitter_of(db: Database, project_id: str) -> VersionEmitter:
    log = EventLog(db, InMemoryBus())  # never started: nothing here emits
    return VersionEmitter(log, project_id=project_id, version_number=1, coalesce_s=0)


def drop_connections(db: Database) -> int:
    """Ends every connection the server has to ``db``'s database, as a restart would."""
    name = db.engine.url.database
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return len(rows)


async def test_a_failed_poll_is_not_a_stop_and_a_stop_elsewhere_still_ends_the_wait(
    database: Database,
) -> None:
    async with database.transaction() as session:
        project = await repo.create_project(session, name="p", owner_id="local")
        await repo.create_version(session, project=project, prompt="a todo api")
    run = VersionRun(database, RunBoard(), emitter_of(database, project.id))
    waiting = asyncio.create_task(run.wait_for_stop(0.02))
    await asyncio.sleep(0.1)
    assert drop_connections(database) >= 1  # the poll's pooled connection
    await asyncio.sleep(0.3)  # polls fail on the dead connection, then reconnect
    assert not waiting.done(), "a failed read of the Stop ended the wait"
    # The Stop pressed on another process: only the version row says so.
    other = Database(str(database.engine.url.render_as_string(hide_password=False)))
    try:
        assert await request_stop(other, RunBoard(), project.id)
    finally:
        await other.close()
    await asyncio.wait_for(waiting, timeout=5)


async def test_a_wait_that_fails_is_not_read_as_a_stop(database: Database) -> None:
    async def tokens() -> AsyncGenerator[str, None]:
        while True:
            yield "x"
            await asyncio.sleep(0.01)

    async def broken_wait() -> None:
        await asyncio.sleep(0.05)
        raise RuntimeError("the wait broke")

    seen = 0
    with pytest.raises(RuntimeError, match="the wait broke"):
        async for _ in until_cancelled(tokens(), broken_wait(), emitter_of(database, "p")):
            seen += 1
    assert seen > 0
    # A wait that returns is a Stop.
    with pytest.raises(GenerationCancelled):
        async for _ in until_cancelled(tokens(), asyncio.sleep(0.05), emitter_of(database, "p")):
            pass


async def test_on_sqlite_the_row_is_read_once_and_a_stop_here_ends_the_wait(
    tmp_path: Path,
) -> None:
    """One server per SQLite file (the data dir's claim): no other process can record a Stop,
    so the row is read once (a Stop from before a restart) and the board's event does the rest."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite3'}")
    await db.migrate()
    reads: list[str] = []

    def count(*args: Any) -> None:
        statement = str(args[2])
        if statement.lstrip().upper().startswith("SELECT") and "api_versions" in statement:
            reads.append(statement)

    try:
        async with db.transaction() as session:
            project = await repo.create_project(session, name="p", owner_id="local")
            await repo.create_version(session, project=project, prompt="a todo api")
        board = RunBoard()
        run = VersionRun(db, board, emitter_of(db, project.id))
        event.listen(Engine, "before_cursor_execute", count)
        waiting = asyncio.create_task(run.wait_for_stop(0.01))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        assert len(reads) == 1, f"{len(reads)} reads of the version row in 0.3 s"
        assert await request_stop(db, board, project.id)
        await asyncio.wait_for(waiting, timeout=5)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
        await db.close()
