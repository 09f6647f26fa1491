"""The previews table between processes, in one test process: two SharedPreviews with their own
executor ids and uids on one real SQLite database and one socket dir behave as two servers of
one host would (tests/scale/test_scale_previews.py runs two real ones on Postgres)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, update
from starlette.requests import Request

from apiforge.errors import NotFoundError
from apiforge.sandbox.preview import PreviewManager
from apiforge.sandbox.shared_previews import PreviewOnOtherHost, SharedPreviews
from apiforge.settings import Settings
from apiforge.store import repository as repo
from apiforge.store.db import Database
from apiforge.store.models import Executor, RunningPreview
from tests.sandbox.conftest import needs_bwrap
from tests.sandbox.test_sandbox_preview import PREVIEW_APP

pytestmark = [pytest.mark.sandbox, needs_bwrap]


@dataclass
class Two:
    db: Database
    a: SharedPreviews
    b: SharedPreviews


@pytest.fixture
async def two(sandbox_settings: Settings, tmp_path: Path, database: Database) -> AsyncIterator[Two]:
    db = database
    shared = {"preview_socket_dir": tmp_path / "previews", "executor_id": "a"}
    a_settings = sandbox_settings.model_copy(update=shared)
    # Its own uids (next to the validation and preview slots of a): as two real processes.
    first_uid = sandbox_settings.sandbox_first_uid + 10
    b_settings = a_settings.model_copy(update={"executor_id": "b", "sandbox_first_uid": first_uid})
    a = SharedPreviews(PreviewManager(a_settings), db, a_settings)
    b = SharedPreviews(PreviewManager(b_settings), db, b_settings)
    yield Two(db, a, b)
    await a.aclose()
    await b.aclose()


def _request() -> Request:
    return Request(
        {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    )


async def test_starting_another_version_elsewhere_takes_the_project_over(two: Two) -> None:
    await two.a.start("p1", 1, PREVIEW_APP)
    assert await two.b.ensure("p1", 1, PREVIEW_APP) == ("/preview/p1/", False)  # reused, not run
    assert two.b.running() == {} and await two.b.serving("p1") == 1
    # A's idle clock follows the use B writes.
    preview = two.a.manager.alive("p1")
    assert preview is not None
    preview.last_used -= 1000
    row = await two.a.registry.find("p1")
    assert row is not None
    await two.b.registry.touch("p1", row.job_dir)
    await two.a.sync()
    assert time.monotonic() - preview.last_used < 60
    # Another version started on B: B's row replaces A's, and A stops its own at its sync.
    assert await two.b.ensure("p1", 2, PREVIEW_APP) == ("/preview/p1/", True)
    await two.a.sync()
    assert two.a.running() == {} and two.b.running() == {"p1": 2}
    row = await two.a.registry.find("p1")
    assert row is not None and row.executor_id == "b"
    await two.b.stop("p1")
    assert await two.a.registry.find("p1") is None


async def test_a_preview_on_another_host_is_named_and_a_dead_ones_forgotten(two: Two) -> None:
    now = repo.now()
    async with two.db.transaction() as session:
        beat = {"executor_id": "c", "role": "all", "heartbeat_at": now}
        await session.execute(insert(Executor).values(beat))
        row = {"project_id": "p1", "version_number": 3, "job_dir": "/nowhere", "host": "far"}
        row |= {"executor_id": "c", "started_at": now, "last_used_at": now}
        await session.execute(insert(RunningPreview).values(row))
    with pytest.raises(PreviewOnOtherHost, match="runs on host far"):
        await two.b.proxy("p1", _request(), "")
    assert await two.b.ensure("p1", 3, PREVIEW_APP) == ("/preview/p1/", False)
    assert await two.b.serving("p1") == 3 and two.b.running() == {}
    # Its process stops beating: its row is stale, and is dropped by whoever finds it.
    async with two.db.transaction() as session:
        old = now - timedelta(hours=1)
        await session.execute(update(Executor).values(heartbeat_at=old))
    with pytest.raises(NotFoundError):
        await two.b.proxy("p1", _request(), "")
    assert await two.b.registry.find("p1") is None


async def test_a_failed_partial_preview_leaves_the_row_another_process_took(two: Two) -> None:
    await two.a.start("p1", 2, PREVIEW_APP, partial=True)  # v2 streams on A
    assert await two.b.ensure("p1", 1, PREVIEW_APP) == ("/preview/p1/", True)  # v1 started on B
    # v2 fails on A before A's sync noticed B's row: A stops its partial preview, not B's row.
    await two.a.stop_partial("p1", 2)
    row = await two.a.registry.find("p1")
    assert row is not None and row.executor_id == "b"
    await two.b.sync()
    assert two.b.running() == {"p1": 1} and await two.a.serving("p1") == 1
