"""DBOS's system database on a server of its own (a private PostgreSQL), the app database on
another (the shared one), and only DBOS's stopped mid-generation: starting a generation answers
503 ``dbos_unavailable`` at once and commits nothing; listing and streaming go on; the running
generation waits for DBOS's checkpoint and completes once it is back; new ones start again.
And on a cluster: the worker running a generation killed while DBOS's database is down, the
other one's take-over waits for it, alive and beating, and resumes the generation once, after."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import Callable

import httpx
import psycopg
import pytest

from tests.scale.conftest import FAILOVER_AFTER_S, Deployment, MakeCluster, create_project
from tests.scale.private_postgres import PrivatePostgres
from tests.scale.test_scale_cancel import executor_of
from tests.scale.test_scale_failover import follow, wait_for
from tests.scale.test_scale_pg_restart import PROMPT, _wait_for_end, private_postgres
from tests.server_process import NO_LIMITS, ServerProcess
from tests.sse_reader import Frame, read_through, read_until_terminal

pytestmark = [pytest.mark.scale, pytest.mark.slow]

__all__ = ["private_postgres"]  # the module-scoped fixture, used here too

# A refused connection is answered at once; well under DbosHealth's own timeout.
DOWN_ANSWER_S = 3.0


def _create(server: ServerProcess) -> httpx.Response:
    return httpx.post(f"{server.url}/api/projects", json={"prompt": PROMPT}, timeout=30)


def _assert_start_refused(server: ServerProcess) -> None:
    started = time.monotonic()
    refused = _create(server)
    assert refused.status_code == 503, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["retryable"]) == ("dbos_unavailable", True)
    assert "cannot start" in error["message"]
    assert time.monotonic() - started < DOWN_ANSWER_S


async def test_dbos_database_down_alone(
    private_postgres: PrivatePostgres,
    fresh_databases: Callable[[], tuple[str, str]],
    servers: Callable[[dict[str, str]], ServerProcess],
) -> None:
    app_url, _ = fresh_databases()
    dbos_url = private_postgres.create_database(f"apiforge_dbos_{uuid.uuid4().hex[:12]}")
    env = {"APIFORGE_DATABASE_URL": app_url, "APIFORGE_DBOS_DATABASE_URL": dbos_url}
    server = servers({**NO_LIMITS, **env, "APIFORGE_ENGINE_DELAY_MS": "50"})
    server.start()
    created = _create(server)
    assert created.status_code == 201, created.text
    pid = created.json()["project"]["id"]
    seen: list[Frame] = []
    client = asyncio.create_task(follow(server.url, pid, seen))
    await asyncio.wait_for(wait_for(seen, "file:complete"), 30)
    private_postgres.stop()
    try:
        _assert_start_refused(server)
        # What needs only the app database works: listing (the refused start left no
        # project behind) and a second stream of the running generation.
        listed = httpx.get(f"{server.url}/api/projects", timeout=10)
        assert [p["id"] for p in listed.json()["projects"]] == [pid]
        replayed = await asyncio.wait_for(read_through(server.url, pid, "file:complete"), 10)
        assert replayed[-1].event == "file:complete"
        await asyncio.sleep(2)
    finally:
        private_postgres.start()
    # The generation waited for DBOS (its checkpoint writes retry) and goes on to the end.
    assert await _wait_for_end(server, pid, timeout=60) == "complete"
    await asyncio.wait_for(client, 10)
    replay = await read_until_terminal(server.url, pid, 1)
    assert [(f.id, f.event, f.data) for f in seen] == [(f.id, f.event, f.data) for f in replay]
    again = _create(server)
    assert again.status_code == 201, again.text


def heartbeats(app_url: str) -> dict[str, tuple[float, str | None]]:
    """Each executor's (seconds since its last beat, who claimed it)."""
    libpq = app_url.replace("postgresql+asyncpg://", "postgresql://")
    with psycopg.connect(libpq) as connection:
        rows = connection.execute(
            "SELECT executor_id, EXTRACT(EPOCH FROM now() - heartbeat_at), swept_by FROM executors"
        ).fetchall()
    return {str(row[0]): (float(row[1]), row[2]) for row in rows}


async def test_a_take_over_waits_for_the_dbos_database_then_resumes_once(
    private_postgres: PrivatePostgres, make_cluster: MakeCluster, deployment: Deployment
) -> None:
    dbos_url = private_postgres.create_database(f"apiforge_dbos_{uuid.uuid4().hex[:12]}")
    on_private = {"APIFORGE_DBOS_DATABASE_URL": dbos_url}
    cluster = make_cluster(1, 2, own={n: on_private for n in ("api-1", "worker-1", "worker-2")})
    api = cluster.apis[0]
    pid, workflow = create_project(api.url)
    seen: list[Frame] = []
    client = asyncio.create_task(follow(api.url, pid, seen))
    await asyncio.wait_for(wait_for(seen, "file:complete"), 30)
    runner = executor_of(dbos_url, workflow)
    survivor = next(w for w in cluster.workers if w.executor_id != runner)
    private_postgres.stop()
    try:
        next(w for w in cluster.workers if w.executor_id == runner).end(signal.SIGKILL)
        await asyncio.sleep(4 * FAILOVER_AFTER_S)
        # The survivor claimed the dead one; its take-over waits on DBOS, and meanwhile it
        # is alive and still beats, so nobody takes it for dead (and runs its work twice).
        assert survivor.process is not None and survivor.process.poll() is None
        beats = heartbeats(deployment.app_url)
        assert beats[runner][1] == survivor.executor_id
        # Nobody claimed it, and it beat during the outage: with one loop for heartbeat and
        # take-over its last beat was as old as the outage (6 s here). Two failover times, not
        # one, so that a loaded machine's scheduling delay does not fail the test.
        assert beats[survivor.executor_id][1] is None
        assert beats[survivor.executor_id][0] < 2 * FAILOVER_AFTER_S
    finally:
        private_postgres.start()
    await asyncio.wait_for(client, 90)
    replay = await read_until_terminal(api.url, pid, 1)
    assert replay[-1].event == "version:complete", replay[-1]
    assert [(f.id, f.event, f.data) for f in seen] == [(f.id, f.event, f.data) for f in replay]
    completed = [frame.data["path"] for frame in replay if frame.event == "file:complete"]
    assert len(completed) == len(set(completed))
    assert executor_of(dbos_url, workflow) == survivor.executor_id
