"""Roles: a `serve --role api` process queues a generation, an `apiforge worker` runs it, and the
api process's client streams it to the end."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from pydantic import ValidationError

from apiforge.settings import Settings
from tests.scale.conftest import Deployment
from tests.scale.test_scale_cancel import executor_of, start_generation
from tests.server_process import ServerProcess
from tests.sse_reader import read_through, read_until_terminal

pytestmark = pytest.mark.scale

RUNNING = re.compile(r"apiforge worker (\S+) is running generations")


class WorkerProcess(ServerProcess):
    """`apiforge worker`: no HTTP, so it is ready when its log says so."""

    def serve_command(self) -> list[str]:
        return [self.python, "-m", "apiforge.cli", "worker"]

    def wait_until_running(self, timeout: float = 60.0) -> str:
        """The worker's executor id, once it runs generations."""
        assert self.process is not None, "spawn() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = RUNNING.search(self.log_path.read_text())
            if found:
                return found.group(1)
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"worker did not start:\n{self.log_path.read_text()[-3000:]}")


def test_roles_refuse_a_process_local_setup(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="shared"):
        Settings(data_dir=tmp_path, role="api", bus="memory", dbos_database_url="postgresql://x/y")
    with pytest.raises(ValidationError, match="shared"):
        Settings(data_dir=tmp_path, role="worker", bus="redis", dbos_database_url=None)


@pytest.fixture
def worker(tmp_path: Path, deployment: Deployment) -> Iterator[WorkerProcess]:
    process = WorkerProcess(tmp_path / "worker", env=deployment.env(bus="redis"))
    yield process
    process.kill()


async def test_api_process_queues_and_the_worker_runs_it(
    deployment: Deployment,
    servers: Callable[[dict[str, str]], ServerProcess],
    worker: WorkerProcess,
) -> None:
    api = servers({**deployment.env(bus="redis"), "APIFORGE_ROLE": "api"})
    api.start(60)
    pid, workflow = start_generation(api)
    # Queued before any worker exists: the api process itself must not run it meanwhile.
    worker.env["APIFORGE_QUEUE_POLL_MS"] = "250"
    worker.spawn()
    worker_id = worker.wait_until_running()
    streamed = await read_until_terminal(api.url, pid, 1)
    assert streamed[-1].event == "version:complete"
    assert streamed[0].event == "version:start"
    assert executor_of(deployment.dbos_url, workflow) == worker_id
    assert queue_poll_interval(deployment.dbos_url) == 0.25


def queue_poll_interval(dbos_url: str) -> float:
    """The generation queue's poll, as the worker registered it (DBOS polls at what this row
    says, for every process)."""
    with psycopg.connect(dbos_url) as connection:
        row = connection.execute(
            "SELECT polling_interval_sec FROM dbos.queues WHERE name = 'generations'"
        ).fetchone()
    assert row is not None
    return float(row[0])


async def test_stop_sent_to_the_api_process_stops_the_worker(
    deployment: Deployment,
    servers: Callable[[dict[str, str]], ServerProcess],
    worker: WorkerProcess,
) -> None:
    worker.env["APIFORGE_ENGINE_DELAY_MS"] = "40"
    worker.spawn()
    worker.wait_until_running()
    api = servers({**deployment.env(bus="redis"), "APIFORGE_ROLE": "api"})
    api.start(60)
    pid, _ = start_generation(api)
    seen = await read_through(api.url, pid, "file:complete")
    answer = httpx.post(f"{api.url}/api/projects/{pid}/cancel", timeout=10)
    assert answer.json() == {"cancelled": True}
    rest = await read_until_terminal(api.url, pid, 1, last_event_id=seen[-1].id)
    assert rest[-1].event == "cancelled"
