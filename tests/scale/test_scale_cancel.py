"""Two server processes on one Postgres + Redis: each runs its workflows under its own DBOS
executor id (kept across a restart), and a Stop sent to the process that is not generating still
ends the generation cancelled, as clients of both processes see."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import pytest

from apiforge.settings import Settings
from tests.scale.conftest import Deployment
from tests.scale.test_scale_postgres import PROMPT
from tests.server_process import ServerProcess
from tests.sse_reader import read_through, read_until_terminal

pytestmark = pytest.mark.scale


def start_generation(server: ServerProcess) -> tuple[str, str]:
    """(project id, DBOS workflow id) of a new project's first generation."""
    response = httpx.post(f"{server.url}/api/projects", json={"prompt": PROMPT}, timeout=10)
    assert response.status_code == 201, response.text
    body = response.json()
    return body["project"]["id"], f"generation-{body['version']['id']}"


def executor_of(dbos_url: str, workflow_id: str) -> str:
    with psycopg.connect(dbos_url) as connection:
        row = connection.execute(
            "SELECT executor_id FROM dbos.workflow_status WHERE workflow_uuid = %s",
            (workflow_id,),
        ).fetchone()
    assert row is not None, workflow_id
    return str(row[0])


def test_default_executor_id_follows_the_system_database(tmp_path: Path) -> None:
    # The data dir's own SQLite has one process: DBOS's "local" keeps recovering older runs.
    own = Settings(data_dir=tmp_path, dbos_database_url=None, executor_id=None)
    assert own.resolved_executor_id == "local"
    shared = "postgresql://postgres@127.0.0.1:5432/x"

    def default_id(data_dir: Path) -> str:
        return Settings(
            data_dir=data_dir, dbos_database_url=shared, executor_id=None
        ).resolved_executor_id

    one, other = default_id(tmp_path / "a"), default_id(tmp_path / "b")
    assert one != other and one.startswith(socket.gethostname())
    assert one == default_id(tmp_path / "a")
    given = Settings(data_dir=tmp_path, dbos_database_url=shared, executor_id="worker-7")
    assert given.resolved_executor_id == "worker-7"


async def test_each_process_has_its_own_stable_executor_id(
    deployment: Deployment, servers: Callable[[dict[str, str]], ServerProcess]
) -> None:
    env = deployment.env(bus="redis")
    a, b = servers(env), servers(env)
    a.start(60)
    b.start(60)
    (pid_a, on_a), (pid_b, on_b) = start_generation(a), start_generation(b)
    await read_until_terminal(a.url, pid_a, 1)
    await read_until_terminal(b.url, pid_b, 1)
    executor_a = executor_of(deployment.dbos_url, on_a)
    # DBOS's default "local" shared by both would make either's restart recover the other's.
    assert executor_a != executor_of(deployment.dbos_url, on_b)
    assert "local" not in (executor_a, executor_of(deployment.dbos_url, on_b))
    a.restart()
    pid_again, again = start_generation(a)
    await read_until_terminal(a.url, pid_again, 1)
    assert executor_of(deployment.dbos_url, again) == executor_a


async def test_stop_sent_to_another_process_cancels_the_generation(
    deployment: Deployment, servers: Callable[[dict[str, str]], ServerProcess]
) -> None:
    env = {**deployment.env(bus="redis"), "APIFORGE_ENGINE_DELAY_MS": "40"}
    a, b = servers(env), servers(env)
    a.start(60)
    b.start(60)
    pid, _ = start_generation(a)
    on_a = asyncio.create_task(read_until_terminal(a.url, pid, 1))
    seen_on_b = await read_through(b.url, pid, "file:complete")
    answer = httpx.post(f"{b.url}/api/projects/{pid}/cancel", timeout=10)
    assert answer.json() == {"cancelled": True}
    rest_on_b = await read_until_terminal(b.url, pid, 1, last_event_id=seen_on_b[-1].id)
    assert rest_on_b[-1].event == "cancelled"
    assert (await on_a)[-1].event == "cancelled"
    version = httpx.get(f"{b.url}/api/projects/{pid}/versions/1", timeout=10).json()["version"]
    assert version["status"] == "cancelled"
    # Stopped mid-way: the version keeps only files that completed, not the whole project.
    completed = {f.data["path"] for f in seen_on_b + rest_on_b if f.event == "file:complete"}
    files = httpx.get(f"{a.url}/api/projects/{pid}/versions/1/files", timeout=10).json()["files"]
    assert set(files) == completed and files
    assert httpx.post(f"{a.url}/api/projects/{pid}/cancel", timeout=10).json() == {
        "cancelled": False
    }
