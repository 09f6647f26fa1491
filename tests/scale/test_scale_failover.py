"""Failover on a real cluster (scripts/cluster.sh's `Cluster`): kill -9 of the worker running a
generation, then of the API process a client streams from; and a live process's claim on a dead
executor's generations, which exactly one process gets."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import insert, select, update

from apiforge.generation.failover import Failover, TakeOver
from apiforge.generation.stranded import CANNOT_RESUME
from apiforge.settings import Settings
from apiforge.store import repository as repo
from apiforge.store.db import Database
from apiforge.store.models import Executor
from tests.scale.conftest import FAILOVER_AFTER_S, Deployment, MakeCluster, create_project
from tests.scale.test_scale_cancel import executor_of
from tests.sse_reader import TERMINAL, Frame, frames, read_through, read_until_terminal

pytestmark = [pytest.mark.scale, pytest.mark.slow]


async def follow(url: str, project_id: str, into: list[Frame], last: int | None = None) -> None:
    """Stream into ``into`` until the version's end, or until the server goes away."""
    with contextlib.suppress(httpx.TransportError):
        async for frame in frames(url, project_id, last):
            into.append(frame)
            if frame.event in TERMINAL:
                return


async def wait_for(seen: list[Frame], event: str, after: int = 0) -> None:
    while not any(frame.event == event for frame in seen[after:]):
        await asyncio.sleep(0.02)


async def test_killed_worker_then_killed_api_process_lose_nothing(
    make_cluster: MakeCluster, deployment: Deployment
) -> None:
    cluster = make_cluster(2, 2)
    a, b = cluster.apis
    pid, workflow = create_project(a.url)
    seen: list[Frame] = []
    on_a = asyncio.create_task(follow(a.url, pid, seen))
    await asyncio.wait_for(wait_for(seen, "file:complete"), 30)
    runner = executor_of(deployment.dbos_url, workflow)
    victim = next(worker for worker in cluster.workers if worker.executor_id == runner)
    victim.end(signal.SIGKILL)
    killed_at, seen_at_kill = time.monotonic(), len(seen)
    # The generation goes on elsewhere: the client of A sees it move again ...
    await asyncio.wait_for(wait_for(seen, "file:complete", seen_at_kill), 60)
    # ... then A dies mid-stream, and the client resumes on B from the last event it has.
    a.end(signal.SIGKILL)
    await on_a
    rest = await asyncio.wait_for(read_until_terminal(b.url, pid, 1, seen[-1].id), 60)
    assert rest[-1].event == "version:complete", rest[-1]
    assert time.monotonic() - killed_at < 60
    survivor = executor_of(deployment.dbos_url, workflow)
    assert survivor != runner and survivor in {w.executor_id for w in cluster.workers}
    replay = await read_until_terminal(b.url, pid, 1)
    # Every event the client saw, before either kill and after, is in the replay, in order,
    # once: what it saw is exactly the replay.
    assert seen + rest == replay
    assert [frame.id for frame in replay] == sorted({frame.id for frame in replay})
    # One process ran it after the kill: two would each complete every file left.
    completed = [frame.data["path"] for frame in replay if frame.event == "file:complete"]
    assert len(completed) == len(set(completed)) > 2
    version = httpx.get(f"{b.url}/api/projects/{pid}/versions/1", timeout=10).json()["version"]
    assert version["status"] == "complete"
    # The taken-over worker's row is gone (A's may still be waiting for its turn); the live
    # processes' are there.
    rows = heartbeat_rows(deployment.app_url)
    assert runner not in rows and {b.executor_id, survivor} <= rows


async def test_a_rolling_deploy_resumes_on_the_old_version_until_none_is_left(
    make_cluster: MakeCluster, deployment: Deployment
) -> None:
    # worker-1, worker-2 (and the api process that queues) run the old application version,
    # worker-3 the new one: DBOS resumes (and dequeues) a workflow only in its own version.
    # The old workers take a dead process for dead later than the new one, so the new one
    # always looks first: it must leave the old version's generation to them.
    old = {"APIFORGE_APPLICATION_VERSION": "apiforge-0"}
    old_worker = {**old, "APIFORGE_FAILOVER_AFTER_S": str(3 * FAILOVER_AFTER_S)}
    own = {"api-1": old, "worker-1": old_worker, "worker-2": old_worker}
    cluster = make_cluster(1, 3, own=own)
    api, new_worker = cluster.apis[0], cluster.workers[2]
    workers = {worker.executor_id: worker for worker in cluster.workers}
    pid, workflow = create_project(api.url)
    seen = await read_through(api.url, pid, "file:complete")
    first = executor_of(deployment.dbos_url, workflow)
    workers[first].end(signal.SIGKILL)
    # The other old worker resumes it; the new one, though alive, does not end it.
    rest = await asyncio.wait_for(read_until_terminal(api.url, pid, 1, seen[-1].id), 60)
    assert rest[-1].event == "version:complete", rest[-1]
    second = executor_of(deployment.dbos_url, workflow)
    assert second not in (first, new_worker.executor_id)
    # With no old worker left, the new one ends the old version's generation, saying why.
    pid, workflow = create_project(api.url)
    seen = await read_through(api.url, pid, "file:complete")
    assert executor_of(deployment.dbos_url, workflow) == second
    workers[second].end(signal.SIGKILL)
    rest = await asyncio.wait_for(read_until_terminal(api.url, pid, 1, seen[-1].id), 60)
    assert rest[-1].event == "error"
    assert rest[-1].data["message"] == CANNOT_RESUME.format(version="apiforge-0")
    version = httpx.get(f"{api.url}/api/projects/{pid}/versions/1", timeout=10).json()["version"]
    assert version["status"] == "failed"
    # Cancelled too: a process of that version starting later does not run it after all.
    assert workflow_status(deployment.dbos_url, workflow) == "CANCELLED"


async def test_a_worker_restarted_in_place_with_a_new_version_hands_its_old_generations_on(
    make_cluster: MakeCluster, deployment: Deployment
) -> None:
    # Nobody takes a process for dead during the restart: it keeps its executor id, and only
    # its own start can hand on what its new version cannot resume.
    old = {"APIFORGE_APPLICATION_VERSION": "apiforge-0", "APIFORGE_FAILOVER_AFTER_S": "60"}
    cluster = make_cluster(1, 2, own={"api-1": old, "worker-1": old, "worker-2": old})
    api = cluster.apis[0]
    pid, workflow = create_project(api.url)
    seen = await read_through(api.url, pid, "file:complete")
    runner = next(
        w for w in cluster.workers if w.executor_id == executor_of(deployment.dbos_url, workflow)
    )
    runner.end(signal.SIGKILL)
    runner.env["APIFORGE_APPLICATION_VERSION"] = "apiforge-1"
    cluster.respawn(runner)
    rest = await asyncio.wait_for(read_until_terminal(api.url, pid, 1, seen[-1].id), 60)
    assert rest[-1].event == "version:complete", rest[-1]
    assert executor_of(deployment.dbos_url, workflow) != runner.executor_id


def workflow_status(dbos_url: str, workflow_id: str) -> str:
    with psycopg.connect(dbos_url) as connection:
        row = connection.execute(
            "SELECT status FROM dbos.workflow_status WHERE workflow_uuid = %s", (workflow_id,)
        ).fetchone()
    assert row is not None, workflow_id
    return str(row[0])


def heartbeat_rows(app_url: str) -> set[str]:
    """The executors with a heartbeat row (a dead one's goes once it is taken over)."""
    libpq = app_url.replace("postgresql+asyncpg://", "postgresql://")
    with psycopg.connect(libpq) as connection:
        rows = connection.execute("SELECT executor_id FROM executors").fetchall()
    return {str(row[0]) for row in rows}


async def nothing_to_take(_dead: str, _live: frozenset[str]) -> list[str]:
    return []


def failover_of(
    db: Database,
    tmp_path: Path,
    executor_id: str,
    version: str = "apiforge-1",
    take_over: TakeOver = nothing_to_take,
) -> Failover:
    settings = Settings(
        data_dir=tmp_path,
        executor_id=executor_id,
        failover_after_s=FAILOVER_AFTER_S,
        application_version=version,
    )
    return Failover(db, settings, take_over)


async def add_dead(db: Database, executor_id: str, version: str) -> None:
    long_ago = repo.now() - timedelta(hours=1)
    async with db.transaction() as session:
        await session.execute(
            insert(Executor).values(
                executor_id=executor_id, role="worker", heartbeat_at=long_ago, app_version=version
            )
        )


async def executor_row(db: Database, executor_id: str) -> Executor:
    async with db.read() as session:
        query = select(Executor).where(Executor.executor_id == executor_id)
        return (await session.execute(query)).scalar_one()


async def test_a_dead_executor_goes_to_a_live_process_of_its_version(
    database: Database, tmp_path: Path
) -> None:
    # A rolling deploy: "old" (apiforge-1) and "new" (apiforge-2) both run generations.
    await add_dead(database, "dead-old", "apiforge-1")
    old = failover_of(database, tmp_path, "old", "apiforge-1")
    new = failover_of(database, tmp_path, "new", "apiforge-2")
    await old.beat()
    await new.beat()
    assert (await executor_row(database, "new")).app_version == "apiforge-2"
    # The new version must not end what a live process of the old one can resume.
    assert await new.claim_dead() == []
    assert await old.claim_dead() == ["dead-old"]
    # With no live process of its version left, the new one takes it (and ends it failed).
    await add_dead(database, "dead-too", "apiforge-1")
    async with database.transaction() as session:
        silent = repo.now() - timedelta(hours=1)
        await session.execute(
            update(Executor).where(Executor.executor_id == "old").values(heartbeat_at=silent)
        )
    assert await new.claim_dead() == ["dead-too", "old"]
    # An api process of the old version resumes nothing: it does not count as alive.
    await add_dead(database, "dead-3", "apiforge-1")
    api = failover_of(database, tmp_path, "api-old", "apiforge-1")
    api.role = "api"
    await api.beat()
    assert await new.claim_dead() == ["dead-3"]


async def test_workflows_left_for_another_version_hand_the_executor_over(
    database: Database, tmp_path: Path
) -> None:
    # "dead" last ran apiforge-2 but, restarted under the same id, left apiforge-1 workflows.
    await add_dead(database, "dead", "apiforge-2")
    offered: list[frozenset[str]] = []

    async def leaves_old_ones(_dead: str, live: frozenset[str]) -> list[str]:
        offered.append(live)
        return ["apiforge-1"]

    new = failover_of(database, tmp_path, "new", "apiforge-2", leaves_old_ones)
    old = failover_of(database, tmp_path, "old", "apiforge-1")
    await new.beat()
    await old.beat()
    await new.sweep()
    assert offered == [frozenset({"apiforge-1", "apiforge-2"})]
    row = await executor_row(database, "dead")
    assert (row.app_version, row.swept_by) == ("apiforge-1", None)
    # The old version's process claims it at once, not after the failover time.
    assert await old.claim_dead() == ["dead"]


async def test_one_live_process_claims_a_dead_executor(database: Database, tmp_path: Path) -> None:
    long_ago = repo.now() - timedelta(hours=1)
    async with database.transaction() as session:
        await session.execute(
            insert(Executor).values(executor_id="dead", role="worker", heartbeat_at=long_ago)
        )
    one, other = failover_of(database, tmp_path, "one"), failover_of(database, tmp_path, "other")
    await one.beat()
    await other.beat()
    claims = await asyncio.gather(*(f.claim_dead() for f in (one, other, one, other)))
    # The live ones are never claimed; the dead one by exactly one of four concurrent sweeps.
    assert sorted(claims) == [[], [], [], ["dead"]]
    # Claimed, it waits out the failover time before anyone takes it over again ...
    assert await one.claim_dead() == [] and await other.claim_dead() == []
    # ... and a process that beats again is alive: its claim is gone, nobody takes it over.
    back = failover_of(database, tmp_path, "dead")
    await back.beat()
    async with database.read() as session:
        row = (
            await session.execute(select(Executor).where(Executor.executor_id == "dead"))
        ).scalar_one()
    assert row.swept_by is None
    assert await one.claim_dead() == []
