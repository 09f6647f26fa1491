"""Real PostgreSQL and Redis for the scale tests: each run gets fresh databases and its own
Redis key prefix, and removes them after. Unreachable services fail the tests (the machine and
CI have both); they are never skipped."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
import redis

from apiforge.cluster import Cluster
from apiforge.store.db import Database
from tests.scale.private_redis import PrivateRedis
from tests.server_process import NO_LIMITS, ServerProcess

PG_ADMIN = os.environ.get("APIFORGE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("APIFORGE_TEST_REDIS", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True)
class Deployment:
    """One deployment's shared state: app and DBOS databases, and a Redis key prefix."""

    app_url: str
    dbos_url: str
    redis_prefix: str

    def env(self, bus: str = "redis", redis_url: str = REDIS_URL) -> dict[str, str]:
        return {
            **NO_LIMITS,
            "APIFORGE_DATABASE_URL": self.app_url,
            "APIFORGE_DBOS_DATABASE_URL": self.dbos_url,
            "APIFORGE_BUS": bus,
            "APIFORGE_REDIS_URL": redis_url,
            "APIFORGE_REDIS_PREFIX": self.redis_prefix,
        }


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL is required for tests/scale ({PG_ADMIN}): {error}")


def _database_url(name: str, driver: str) -> str:
    return f"{PG_ADMIN.rsplit('/', 1)[0].replace('postgresql://', driver)}/{name}"


@pytest.fixture
def fresh_databases() -> Iterator[Callable[[], tuple[str, str]]]:
    """Creates (asyncpg URL, libpq URL) pairs of new empty databases; drops them all after."""
    created: list[str] = []
    with _admin() as admin:

        def make() -> tuple[str, str]:
            name = f"apiforge_scale_{uuid.uuid4().hex[:12]}"
            admin.execute(f'CREATE DATABASE "{name}"')
            created.append(name)
            return _database_url(name, "postgresql+asyncpg://"), _database_url(
                name, "postgresql://"
            )

        yield make
        for name in created:
            # FORCE: a killed server's connections may not be gone yet.
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.ConnectionError as error:
        pytest.fail(f"Redis is required for tests/scale ({REDIS_URL}): {error}")
    prefix = f"apiforge-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def deployment(fresh_databases: Callable[[], tuple[str, str]], redis_prefix: str) -> Deployment:
    app_url, _ = fresh_databases()
    _, dbos_url = fresh_databases()
    return Deployment(app_url, dbos_url, redis_prefix)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], ServerProcess]]:
    """Server processes of the test's own (each its own data dir), all killed after."""
    started: list[ServerProcess] = []

    def make(env: dict[str, str]) -> ServerProcess:
        server = ServerProcess(tmp_path / f"server-{len(started)}", env=env)
        started.append(server)
        return server

    yield make
    for server in started:
        server.kill()


# Cluster tests: a dead process is taken over after 2 s; the offline engine paced so that a
# generation takes ~10 s, long enough for kills to land mid-way.
FAILOVER_AFTER_S = 2.0
ENGINE_DELAY_MS = "50"

MakeCluster = Callable[..., Cluster]
CLUSTER_PROMPT = "a library API with books (title, author, year) and members (name, email)"


@pytest.fixture
def make_cluster(tmp_path: Path, deployment: Deployment) -> Iterator[MakeCluster]:
    """Starts clusters of N API processes and M workers on the deployment; kills them after."""
    made: list[Cluster] = []
    env = {
        **deployment.env(bus="redis"),
        "APIFORGE_VALIDATOR": "none",
        "APIFORGE_FAILOVER_AFTER_S": str(FAILOVER_AFTER_S),
    }

    def make(
        apis: int,
        workers: int,
        delay_ms: str = ENGINE_DELAY_MS,
        own: dict[str, dict[str, str]] | None = None,
    ) -> Cluster:
        """``own``: settings of single processes, by name (``api-1``, ``worker-2``)."""
        paced = {**env, "APIFORGE_ENGINE_DELAY_MS": delay_ms}
        cluster = Cluster(tmp_path / f"cluster-{len(made)}", apis, workers, env=paced)
        for member in cluster.members:
            member.env.update((own or {}).get(member.name, {}))
        made.append(cluster)
        cluster.start(90)
        return cluster

    yield make
    for cluster in made:
        cluster.stop(signal.SIGKILL)


def create_project(api_url: str) -> tuple[str, str]:
    """(project id, DBOS workflow id of its first generation)."""
    response = httpx.post(f"{api_url}/api/projects", json={"prompt": CLUSTER_PROMPT}, timeout=10)
    assert response.status_code == 201, response.text
    body = response.json()
    return body["project"]["id"], f"generation-{body['version']['id']}"


@pytest.fixture
async def database(fresh_databases: Callable[[], tuple[str, str]]) -> AsyncIterator[Database]:
    app_url, _ = fresh_databases()
    db = Database(app_url)
    await db.migrate()
    yield db
    await db.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()
