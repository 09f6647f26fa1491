"""PostgreSQL restarted under a running server (a private Postgres: the shared one is never
stopped): while it is down requests answer 503 ``database_unavailable`` at once, and after it
is back the first request succeeds and generations run again."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from apiforge.errors import DatabaseUnavailable
from apiforge.store.db import Database
from tests.core.accounts_server import AccountsServer
from tests.scale.private_postgres import PrivatePostgres
from tests.scale.test_scale_failover import follow, wait_for
from tests.server_process import NO_LIMITS, ServerProcess
from tests.sse_reader import Frame, read_until_terminal

pytestmark = [pytest.mark.scale, pytest.mark.slow]

PROMPT = "a library API with books (title, author, year) and members (name, email)"
# A request while the database is down is answered within this (a refused connect is at once).
DOWN_ANSWER_S = 3.0
ASYNCPG = "postgresql+asyncpg://"


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    # Not under pytest's tmp dir: that is root's alone, and Postgres runs as another user.
    directory = Path(tempfile.mkdtemp(prefix="apiforge-pg-"))
    server = PrivatePostgres(directory)
    server.init()
    server.start()
    yield server
    with contextlib.suppress(subprocess.CalledProcessError):
        server.stop()
    shutil.rmtree(directory, ignore_errors=True)


def _env(postgres: PrivatePostgres, **extra: str) -> dict[str, str]:
    name = f"apiforge_restart_{uuid.uuid4().hex[:12]}"
    return {
        **NO_LIMITS,
        "APIFORGE_DATABASE_URL": postgres.create_database(name, ASYNCPG),
        "APIFORGE_DBOS_DATABASE_URL": postgres.create_database(f"{name}_dbos"),
        "APIFORGE_BUS": "memory",
        **extra,
    }


def _create_project(server: ServerProcess, headers: dict[str, str] | None = None) -> str:
    response = httpx.post(
        f"{server.url}/api/projects", json={"prompt": PROMPT}, headers=headers, timeout=10
    )
    assert response.status_code == 201, response.text
    return str(response.json()["project"]["id"])


def _assert_database_unavailable(response: httpx.Response, elapsed: float) -> None:
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "database_unavailable"
    assert error["retryable"] is True
    assert "database is unreachable" in error["message"]
    assert elapsed < DOWN_ANSWER_S, f"answered after {elapsed:.1f} s"


@pytest.fixture
def accounts_server(private_postgres: PrivatePostgres, tmp_path: Path) -> Iterator[AccountsServer]:
    """Password mode: each request's token is read from the database before any route runs."""
    server = AccountsServer(tmp_path / "server", env=_env(private_postgres))
    server.start()
    yield server
    server.kill()


async def test_requests_answer_503_while_postgres_is_down_and_work_once_it_is_back(
    private_postgres: PrivatePostgres, accounts_server: AccountsServer
) -> None:
    server = accounts_server
    headers = {"Authorization": f"Bearer {server.root_token()}"}
    first = _create_project(server, headers)
    assert await _wait_for_end(server, first, timeout=30, headers=headers) == "complete"
    # Restarted between two requests: the pool's connections from before are dead, and the
    # first request after must not be handed one (each is checked before use, and replaced).
    private_postgres.stop()
    private_postgres.start()
    again = httpx.get(f"{server.url}/api/projects/{first}", headers=headers, timeout=10)
    assert again.status_code == 200, again.text
    private_postgres.stop()
    try:
        for method, path, body in [
            ("GET", "/api/projects", None),
            ("GET", f"/api/projects/{first}", None),
            ("POST", "/api/projects", {"prompt": PROMPT}),
        ]:
            started = time.monotonic()
            response = httpx.request(
                method, server.url + path, json=body, headers=headers, timeout=30
            )
            _assert_database_unavailable(response, time.monotonic() - started)
    finally:
        private_postgres.start()
    listed = httpx.get(f"{server.url}/api/projects", headers=headers, timeout=10)
    assert listed.status_code == 200, listed.text
    assert [p["id"] for p in listed.json()["projects"]] == [first]
    second = _create_project(server, headers)
    assert await _wait_for_end(server, second, timeout=30, headers=headers) == "complete"


async def test_the_first_read_after_a_restart_gets_a_live_connection(
    private_postgres: PrivatePostgres,
) -> None:
    url = private_postgres.create_database(f"apiforge_pool_{uuid.uuid4().hex[:12]}", ASYNCPG)
    db = Database(url)
    try:
        async with db.read() as session:
            assert (await session.execute(text("SELECT 1"))).scalar() == 1
        private_postgres.stop()
        private_postgres.start()
        # The pooled connection was ended by the restart; without a check before use this
        # read would get it and fail ("connection was closed in the middle of operation").
        async with db.read() as session:
            assert (await session.execute(text("SELECT 1"))).scalar() == 1
        private_postgres.stop()
        try:
            started = time.monotonic()
            with pytest.raises(DatabaseUnavailable):
                async with db.read() as session:
                    await session.execute(text("SELECT 1"))
            assert time.monotonic() - started < DOWN_ANSWER_S
        finally:
            private_postgres.start()
    finally:
        await db.close()


async def test_a_generation_running_while_postgres_restarts_ends(
    private_postgres: PrivatePostgres, servers: Callable[[dict[str, str]], ServerProcess]
) -> None:
    """Down for 3 s mid-generation: the event log keeps what it could not write and retries,
    the Stop poll reads again, DBOS's own threads retry; the generation completes, and a client
    streaming through it all saw exactly the replay."""
    server = servers(_env(private_postgres, APIFORGE_ENGINE_DELAY_MS="50"))
    server.start()
    pid = _create_project(server)
    seen: list[Frame] = []
    client = asyncio.create_task(follow(server.url, pid, seen))
    await asyncio.wait_for(wait_for(seen, "file:complete"), 30)
    private_postgres.stop()
    try:
        # Local mode: no principal to read, so the route itself meets the database away.
        started = time.monotonic()
        listed = httpx.get(f"{server.url}/api/projects", timeout=30)
        _assert_database_unavailable(listed, time.monotonic() - started)
        await asyncio.sleep(3)
    finally:
        private_postgres.start()
    assert await _wait_for_end(server, pid, timeout=30) == "complete"
    await asyncio.wait_for(client, 10)
    replay = await read_until_terminal(server.url, pid, 1)
    assert replay[-1].event == "version:complete"
    assert [f.id for f in replay] == sorted({f.id for f in replay}), "out of order, or twice"
    assert [(f.id, f.event, f.data) for f in seen] == [(f.id, f.event, f.data) for f in replay]


async def _wait_for_end(
    server: ServerProcess, pid: str, timeout: float, headers: dict[str, str] | None = None
) -> str:
    """The first version's status once it ended (or when ``timeout`` ran out)."""
    deadline = time.monotonic() + timeout
    while True:
        url = f"{server.url}/api/projects/{pid}/versions/1"
        response = httpx.get(url, headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        status = str(response.json()["version"]["status"])
        if status in ("complete", "failed", "cancelled") or time.monotonic() > deadline:
            return status
        await asyncio.sleep(0.25)
