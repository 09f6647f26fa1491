"""A start-up that fails late (DBOS's system database unreachable, found only at launch, after
the app database, the event log and DBOS's own thread are open) closes all of them again."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from apiforge.server.app import create_app
from apiforge.settings import Settings
from tests.scale.conftest import PG_ADMIN

pytestmark = pytest.mark.scale


def connections_to(database: str) -> int:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchone()
    assert row is not None
    return int(str(row[0]))


def threads() -> set[str]:
    # The event loop's default executor threads are the test process's, kept for reuse.
    return {t.name for t in threading.enumerate() if not t.name.startswith("asyncio_")}


async def test_a_late_start_up_failure_leaves_nothing_open(
    fresh_databases: Callable[[], tuple[str, str]], tmp_path: Path
) -> None:
    app_url, _ = fresh_databases()
    settings = Settings(
        data_dir=tmp_path,
        database_url=app_url,
        dbos_database_url="postgresql://postgres@127.0.0.1:1/unreachable",
    )
    app = create_app(settings)
    before = threads()
    with pytest.raises(Exception, match="Connection refused"):
        async with app.router.lifespan_context(app):
            pytest.fail("started with an unreachable DBOS database")
    database = app_url.rsplit("/", 1)[1]
    assert connections_to(database) == 0, "the app database's pool was left open"
    assert threads() == before, "a thread (DBOS's event loop) was left running"
    writers = [t for t in asyncio.all_tasks() if t.get_name() == "event-log-writer"]
    assert writers == [], "the event log's writer task was left running"
