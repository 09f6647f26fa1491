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
from sqlalchemy import Connection

from apiforge.events.bus import InMemoryBus
from apiforge.events.log import EventLog
from apiforge.events.types import MessageChunk
from apiforge.store import repository as repo
from apiforge.store.db import Database
from apiforge.store.models import Base

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
