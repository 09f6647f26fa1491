"""Generations no process would ever run, on a real cluster: one left ENQUEUED for an
application version whose last worker died, and one DBOS dead-lettered after its recovery
attempts. Each ends ``failed`` with its message, once, though several workers look."""

from __future__ import annotations

import asyncio
import signal
import time

import httpx
import psycopg
import pytest

from apiforge.generation.stranded import CANNOT_RESUME, MAX_RECOVERY_ATTEMPTS, RECOVERY_EXHAUSTED
from tests.scale.conftest import FAILOVER_AFTER_S, Deployment, MakeCluster, create_project
from tests.scale.test_scale_cancel import executor_of
from tests.scale.test_scale_failover import workflow_status
from tests.sse_reader import Frame, read_through, read_until_terminal

pytestmark = [pytest.mark.scale, pytest.mark.slow]

OLD = {"APIFORGE_APPLICATION_VERSION": "apiforge-0"}


def system_messages(app_url: str, project_id: str) -> list[str]:
    libpq = app_url.replace("postgresql+asyncpg://", "postgresql://")
    with psycopg.connect(libpq) as connection:
        rows = connection.execute(
            "SELECT content FROM chat_messages WHERE project_id = %s AND role = 'system'",
            (project_id,),
        ).fetchall()
    return [str(row[0]) for row in rows]


def version_status(api_url: str, project_id: str) -> str:
    response = httpx.get(f"{api_url}/api/projects/{project_id}/versions/1", timeout=10)
    return str(response.json()["version"]["status"])


def assert_failed_once(
    deployment: Deployment, api_url: str, project_id: str, replay: list[Frame], message: str
) -> None:
    """The version ended failed with ``message``: one error event, one system message."""
    assert replay[-1].event == "error", replay[-1]
    assert [f.data["message"] for f in replay if f.event == "error"] == [message]
    assert system_messages(deployment.app_url, project_id) == [message]
    assert version_status(api_url, project_id) == "failed"


async def test_a_generation_queued_for_a_dead_version_waits_while_it_lives_then_fails_once(
    make_cluster: MakeCluster, deployment: Deployment
) -> None:
    # The api process and worker-1 run the old version; worker-2 and worker-3, the new one,
    # cannot dequeue the old version's generations. One generation at a time per worker (the
    # queue's limits are DBOS's, shared: every process registers the same).
    one = {"APIFORGE_WORKER_CONCURRENCY": "1"}
    own = {"api-1": {**OLD, **one}, "worker-1": {**OLD, **one}, "worker-2": one, "worker-3": one}
    # Paced slower, so the old worker is still running the first when it is killed.
    cluster = make_cluster(1, 3, delay_ms="120", own=own)
    api, old_worker = cluster.apis[0], cluster.workers[0]
    running, running_workflow = create_project(api.url)
    await read_through(api.url, running, "file:complete")
    assert executor_of(deployment.dbos_url, running_workflow) == old_worker.executor_id
    queued, queued_workflow = create_project(api.url)
    # Well past the failover time, the new workers leave it: a live process of its version
    # will dequeue it once it is free.
    await asyncio.sleep(3 * FAILOVER_AFTER_S)
    assert workflow_status(deployment.dbos_url, queued_workflow) == "ENQUEUED"
    assert version_status(api.url, queued) == "pending"
    old_worker.end(signal.SIGKILL)
    killed_at = time.monotonic()
    # No process of its version is left: both new workers end it, and it ends once.
    replay = await asyncio.wait_for(read_until_terminal(api.url, queued, 1), 60)
    assert time.monotonic() - killed_at < 60
    message = CANNOT_RESUME.format(version="apiforge-0")
    assert_failed_once(deployment, api.url, queued, replay, message)
    assert workflow_status(deployment.dbos_url, queued_workflow) == "CANCELLED"
    # The generation the old worker was running ends the same way (taken over, not resumable).
    replay = await asyncio.wait_for(read_until_terminal(api.url, running, 1), 60)
    assert_failed_once(deployment, api.url, running, replay, message)


async def test_a_generation_past_its_recovery_attempts_ends_failed(
    make_cluster: MakeCluster, deployment: Deployment
) -> None:
    cluster = make_cluster(1, 2)
    api = cluster.apis[0]
    pid, workflow = create_project(api.url)
    seen = await read_through(api.url, pid, "file:complete")
    runner = executor_of(deployment.dbos_url, workflow)
    # As if it had killed its worker every time: DBOS counts one more dispatch when the other
    # worker dequeues it, past the limit, and dead-letters it instead of running it.
    with psycopg.connect(deployment.dbos_url) as connection:
        connection.execute(
            "UPDATE dbos.workflow_status SET recovery_attempts = %s WHERE workflow_uuid = %s",
            (MAX_RECOVERY_ATTEMPTS + 1, workflow),
        )
    next(w for w in cluster.workers if w.executor_id == runner).end(signal.SIGKILL)
    killed_at = time.monotonic()
    rest = await asyncio.wait_for(read_until_terminal(api.url, pid, 1, seen[-1].id), 60)
    assert time.monotonic() - killed_at < 60
    assert_failed_once(deployment, api.url, pid, seen + rest, RECOVERY_EXHAUSTED)
    assert workflow_status(deployment.dbos_url, workflow) == "MAX_RECOVERY_ATTEMPTS_EXCEEDED"
    # It did not run again: no resumed run said so (as every resumed one does).
    assert not any(frame.data.get("resumed") for frame in seen + rest)
