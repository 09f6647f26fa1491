"""``GET /api/projects`` reads every project with its latest version in a constant number of
SQL statements, however many projects there are."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from apiforge.server.state import AppServices
from apiforge.settings import Settings
from apiforge.store import repository as repo
from tests.in_process_app import in_process_app


class StatementCounter:
    """Counts statements sent to one database URL (DBOS's own database is another)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.count = 0

    def __call__(self, conn: Any, *_args: Any) -> None:
        if conn.engine.url.render_as_string(hide_password=False) == self.url:
            self.count += 1


@pytest.fixture
async def app_client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, AppServices]]:
    async with in_process_app(Settings(data_dir=tmp_path / "data", validator="none")) as running:
        app, client = running
        yield client, app.state.services


async def _add_projects(services: AppServices, count: int, versions: int) -> None:
    """Stored directly, so no generation runs (and queries) while the listing is counted."""
    async with services.db.transaction() as session:
        for n in range(count):
            project = await repo.create_project(session, name=f"p{n}", owner_id=repo.LOCAL_OWNER)
            for _ in range(versions):
                await repo.create_version(session, project=project, prompt="a todo API")


async def _statements_listing(client: httpx.AsyncClient, counter: StatementCounter) -> int:
    counter.count = 0
    response = await client.get("/api/projects")
    assert response.status_code == 200
    return counter.count


async def test_listing_projects_takes_the_same_queries_for_1_or_6_projects(
    app_client: tuple[httpx.AsyncClient, AppServices],
) -> None:
    client, services = app_client
    counter = StatementCounter(services.db.url)
    event.listen(Engine, "before_cursor_execute", counter)
    try:
        await _add_projects(services, 1, versions=1)
        with_one = await _statements_listing(client, counter)
        await _add_projects(services, 5, versions=3)
        with_six = await _statements_listing(client, counter)
    finally:
        event.remove(Engine, "before_cursor_execute", counter)
    projects = (await client.get("/api/projects")).json()["projects"]
    assert len(projects) == 6
    assert sorted(p["latest_version"]["number"] for p in projects) == [1, 3, 3, 3, 3, 3]
    assert with_one == with_six, (with_one, with_six)
    assert with_six == 1
