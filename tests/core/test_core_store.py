"""The schema: migrations create exactly the models, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, delete

from apiforge.events.bus import InMemoryBus
from apiforge.events.log import EventLog
from apiforge.events.types import MessageChunk
from apiforge.store import repository as repo
from apiforge.store.db import Database
from apiforge.store.models import Base, Project

PG_ADMIN = os.environ.get("APIFORGE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


async def _pg_available() -> bool:
    try:
        connection = await asyncpg.connect(PG_ADMIN, timeout=2)
    except (OSError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite3'}")
        await db.migrate()
        yield db
        await db.close()
        return
    if not await _pg_available():
        pytest.skip(f"no PostgreSQL at {PG_ADMIN}")
    name = f"apiforge_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    db = Database(f"{base}/{name}")
    try:
        await db.migrate()
        yield db
    finally:
        await db.close()
        await admin.execute(f'DROP DATABASE "{name}"')
        await admin.close()


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection)
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_create_exactly_the_models(database: Database) -> None:
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []


async def test_event_log_round_trip(database: Database) -> None:
    async with database.transaction() as session:
        project = await repo.create_project(session, name="p", owner_id="local")
    log = EventLog(database, InMemoryBus(), batch_max=3)
    await log.start()
    appended = [
        await log.append(MessageChunk(project_id=project.id, version_number=1, text=str(i)))
        for i in range(10)
    ]
    await log.aclose()
    replay = await log.read_after(project.id, appended[3].seq)
    assert [e.json for e in replay] == [e.json for e in appended[4:]]


async def test_events_of_a_project_deleted_before_their_commit_are_dropped(
    database: Database,
) -> None:
    # The batch is written without checking its projects first; a deleted one's foreign key
    # fails and the batch is written again without its events (else the writer retried forever).
    async with database.transaction() as session:
        kept = await repo.create_project(session, name="kept", owner_id="local")
        gone = await repo.create_project(session, name="gone", owner_id="local")
    log = EventLog(database, InMemoryBus())
    for project in (kept, gone, kept):
        await log.append(MessageChunk(project_id=project.id, version_number=1, text="x"))
    async with database.transaction() as session:
        await session.execute(delete(Project).where(Project.id == gone.id))
    await log.settle()
    assert len(await log.read_after(kept.id, 0)) == 2
    assert await log.read_after(gone.id, 0) == []


async def test_the_log_keeps_the_retention_give_or_take_one_percent(database: Database) -> None:
    async with database.transaction() as session:
        project = await repo.create_project(session, name="p", owner_id="local")
    log = EventLog(database, InMemoryBus(), retention=200)
    for i in range(450):
        await log.append(MessageChunk(project_id=project.id, version_number=1, text=str(i)))
        await log.settle()
    kept = await log.read_after(project.id, 0)
    assert 200 <= len(kept) <= 202 and kept[-1].seq == 450
