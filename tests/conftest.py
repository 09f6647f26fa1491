from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server_process import ServerProcess


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real server (offline engine, no validator) shared by tests that only add projects."""
    server = ServerProcess(tmp_path_factory.mktemp("live-server"))
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
        tmp_path_factory.mktemp("slow-server"), env={"APIFORGE_ENGINE_DELAY_MS": "15"}
    )
    server.start()
    yield server
    server.stop()
