"""On PostgreSQL (READ COMMITTED) a count-then-insert is not atomic: the quota checks serialise
on advisory locks, so concurrent requests cannot all take the last slot."""

from __future__ import annotations

import asyncio

import pytest

from apiforge.errors import RateLimited
from apiforge.generation.quotas import check_can_generate, owner_key
from apiforge.settings import Settings
from apiforge.store import repository as repo
from apiforge.store.db import Database, serialize

pytestmark = pytest.mark.scale


async def start_generation(db: Database, settings: Settings) -> None:
    async with db.transaction() as session:
        await serialize(session, owner_key("ada"))
        await check_can_generate(session, owner_id="ada", settings=settings)
        # Widens the window between the count and the insert: without the lock, every
        # concurrent transaction counts zero here.
        await asyncio.sleep(0.1)
        project = await repo.create_project(session, name="p", owner_id="ada")
        await repo.create_version(session, project=project, prompt="a todo API")


async def test_concurrent_generations_take_the_last_slot_once(database: Database) -> None:
    settings = Settings(limit_generations=1)
    outcomes = await asyncio.gather(
        *(start_generation(database, settings) for _ in range(4)), return_exceptions=True
    )
    assert sum(outcome is None for outcome in outcomes) == 1
    assert sum(isinstance(outcome, RateLimited) for outcome in outcomes) == 3
    async with database.read() as session:
        assert await repo.count_active_versions_of_owner(session, owner_id="ada") == 1
