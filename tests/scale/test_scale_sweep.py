"""The start-up sweep on a shared database: a version another process has just committed, whose
workflow it is about to start, is not failed by a process starting meanwhile; one left without a
workflow for longer than the start window is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import update

from apiforge.generation.service import START_WINDOW
from apiforge.store import repository as repo
from apiforge.store.db import Database
from apiforge.store.models import ApiVersion
from apiforge.store.status import VersionStatus
from tests.scale.conftest import Deployment
from tests.server_process import ServerProcess

pytestmark = pytest.mark.scale


async def pending_version(db: Database, age: timedelta) -> str:
    """A version row as a process commits it just before starting its workflow, ``age`` ago."""
    async with db.transaction() as session:
        project = await repo.create_project(session, name="p", owner_id="local")
        version = await repo.create_version(session, project=project, prompt="a todo api")
        await session.execute(
            update(ApiVersion)
            .where(ApiVersion.id == version.id)
            .values(created_at=repo.now() - age)
        )
        return version.id


async def status_of(db: Database, version_id: str) -> VersionStatus:
    async with db.read() as session:
        version = await session.get(ApiVersion, version_id)
        assert version is not None
        return version.status


async def test_the_sweep_spares_a_version_whose_workflow_is_about_to_start(
    deployment: Deployment, servers: Callable[[dict[str, str]], ServerProcess]
) -> None:
    db = Database(deployment.app_url)
    try:
        await db.migrate()
        starting = await pending_version(db, timedelta(seconds=1))
        abandoned = await pending_version(db, START_WINDOW + timedelta(seconds=30))
        servers(deployment.env(bus="memory")).start(60)  # sweeps before it serves
        assert await status_of(db, starting) == VersionStatus.PENDING
        assert await status_of(db, abandoned) == VersionStatus.FAILED
    finally:
        await db.close()
