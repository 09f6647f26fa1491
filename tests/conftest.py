from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from apiforge.store.db import Database
from tests.generation.scripted_thread import ThreadedScriptedServer
from tests.server_process import NO_LIMITS, ServerProcess
from tests.xdist_groups import GroupScheduling, is_slow, longest_first_rank

REPO = Path(__file__).resolve().parents[1]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> GroupScheduling:
    """`make test`'s workers take whole groups (tests/xdist_groups.py)."""
    return GroupScheduling(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in filter(is_slow, items):
        item.add_marker(pytest.mark.slow)
    if os.environ.get("PYTEST_XDIST_WORKER") is not None:
        items.sort(key=longest_first_rank)  # stable: the order within a group stays


def untracked_files() -> set[str] | None:
    """What ``git status`` lists as untracked in the repository; None outside a git checkout."""
    command = ["git", "status", "--porcelain", "--untracked-files=all"]
    try:
        done = subprocess.run(
            command, cwd=REPO, capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return {line[3:] for line in done.stdout.splitlines() if line.startswith("?? ")}


@pytest.fixture(scope="session", autouse=True)
def repo_left_clean() -> Iterator[None]:
    """The suite writes nothing into the repository (caches such as ./.schemathesis included)."""
    before = untracked_files()
    yield
    after = untracked_files()
    if before is not None and after is not None:
        assert sorted(after - before) == [], "the test run left these files in the repository"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real server (offline engine, no validator) shared by tests that only add projects."""
    server = ServerProcess(tmp_path_factory.mktemp("live-server"), env=NO_LIMITS)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of the test's own, for tests that stop, kill or restart it."""
    server = ServerProcess(tmp_path / "server")
    yield server
    server.kill()


@pytest.fixture(scope="session")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose offline engine types slowly, so generations are still running mid-test."""
    server = ServerProcess(
        tmp_path_factory.mktemp("slow-server"), env={"APIFORGE_ENGINE_DELAY_MS": "15", **NO_LIMITS}
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated app database in SQLite (tests/scale's conftest gives PostgreSQL instead)."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite3'}")
    await db.migrate()
    yield db
    await db.close()


@pytest.fixture(scope="module")
def model() -> Iterator[ThreadedScriptedServer]:
    """A scripted model speaking the OpenAI and Anthropic protocols, on its own thread."""
    server = ThreadedScriptedServer()
    server.start()
    yield server
    server.stop()
