"""PostgreSQL end to end: a real server on fresh Postgres databases (app and DBOS) generates,
streams, restarts and replays the same events; several processes migrate one empty database."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import psycopg
import pytest

from tests.scale.conftest import Deployment
from tests.server_process import ServerProcess
from tests.sse_reader import read_until_terminal

pytestmark = pytest.mark.scale

PROMPT = "a library API with books (title, author, year) and members (name, email)"


def create_project(server: ServerProcess) -> str:
    response = httpx.post(f"{server.url}/api/projects", json={"prompt": PROMPT}, timeout=10)
    assert response.status_code == 201, response.text
    return str(response.json()["project"]["id"])


async def test_generation_on_postgres_streams_then_replays_after_restart(
    deployment: Deployment, servers: Callable[[dict[str, str]], ServerProcess]
) -> None:
    server = servers(deployment.env(bus="memory"))
    server.start()
    pid = create_project(server)
    live = await read_until_terminal(server.url, pid, 1)
    assert live[-1].event == "version:complete"
    assert live[-1].data["status"] == "complete"
    assert [f.id for f in live] == sorted({f.id for f in live})
    server.restart()
    replay = await read_until_terminal(server.url, pid, 1)
    assert [(f.id, f.event, f.data) for f in replay] == [(f.id, f.event, f.data) for f in live]
    files = httpx.get(f"{server.url}/api/projects/{pid}/versions/1/files", timeout=10)
    assert files.status_code == 200, files.text
    # The rows are Postgres's: nothing was written to a SQLite file in the data dir.
    assert not list(server.data_dir.glob("*.sqlite3"))


def test_three_processes_starting_at_once_migrate_one_empty_database(
    deployment: Deployment, servers: Callable[[dict[str, str]], ServerProcess]
) -> None:
    # Password mode with a first admin: each process also checks for users, then makes one.
    env = {
        **deployment.env(bus="memory"),
        "APIFORGE_AUTH": "password",
        "APIFORGE_ADMIN_USERNAME": "ada",
        "APIFORGE_ADMIN_PASSWORD": "correct horse battery staple",
    }
    started = [servers(env) for _ in range(3)]
    for server in started:
        server.spawn()
    for server in started:
        server.wait_until_serving(timeout=60)
    with psycopg.connect(deployment.app_url.replace("+asyncpg", "")) as connection:
        heads = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        users = connection.execute("SELECT username FROM users").fetchall()
    assert len(heads) == 1
    assert users == [("ada",)]
    for server in started:
        login = httpx.post(
            f"{server.url}/api/auth/login",
            json={"username": "ada", "password": "correct horse battery staple"},
            timeout=10,
        )
        assert login.status_code == 200, login.text
