"""A user's first version validates in the environment `make serve` builds (no dev extras).

The server runs from that environment's interpreter, so the sandbox's validation runtime is
exactly what a plain `pip install .` provides.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiforge.sandbox.report import STAGES
from tests.sandbox.conftest import needs_bwrap
from tests.sandbox.serve_env import (
    DEV_ONLY,
    RUNTIME,
    SERVE_PYTHON_ENV,
    build_serve_env,
    importable,
)
from tests.server_process import ServerProcess
from tests.sse_reader import read_until_terminal

pytestmark = [pytest.mark.sandbox, pytest.mark.slow, needs_bwrap, pytest.mark.timeout(900)]
PROMPT = "A library API with authors (name, email) and books (title, year). Books have an author."


@pytest.fixture(scope="module")
def serve_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    given = os.environ.get(SERVE_PYTHON_ENV)
    if given:
        return given
    return build_serve_env(tmp_path_factory.mktemp("serve-env") / "venv")


@pytest.fixture
def serve(serve_python: str, tmp_path: Path) -> Iterator[Any]:
    started: list[ServerProcess] = []

    def start(fuzz_s: float) -> ServerProcess:
        env = {
            "PYTHONPATH": "",
            "APIFORGE_PROVIDER": "offline",
            "APIFORGE_VALIDATOR": "sandbox",
            "APIFORGE_SANDBOX_FIRST_UID": "64300",
            "APIFORGE_SANDBOX_FUZZ_S": str(fuzz_s),
        }
        server = ServerProcess(tmp_path / f"server-{len(started)}", env=env, python=serve_python)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


async def first_version(server: ServerProcess) -> tuple[str, dict[str, dict[str, Any]]]:
    """The status of the project's first version and its validation stages by name."""
    response = httpx.post(f"{server.url}/api/projects", json={"prompt": PROMPT}, timeout=10)
    assert response.status_code == 201, response.text
    project_id = response.json()["project"]["id"]
    frames = await read_until_terminal(server.url, project_id, 1)
    terminal = frames[-1]
    assert terminal.event == "version:complete", terminal
    validations = [f.data for f in frames if f.event == "validation:complete"]
    assert validations, [f.event for f in frames]
    stages = {stage["stage"]: stage for stage in validations[-1]["stages"]}
    return str(terminal.data["status"]), stages


def test_serve_env_has_the_runtime_and_no_dev_extras(serve_python: str) -> None:
    assert importable(serve_python, DEV_ONLY) == []
    assert importable(serve_python, RUNTIME) == list(RUNTIME)


async def test_a_generated_project_validates_in_the_serve_env(serve: Any) -> None:
    # A budget far above what fuzzing needs: here the fuzzer must finish, not run out of time.
    status, stages = await first_version(serve(60.0))
    assert status == "complete", stages
    assert list(stages) == list(STAGES)
    assert all(stage["ok"] for stage in stages.values()), stages
    passed, _, total = stages["tests"]["detail"].partition(" tests passed")[0].partition("/")
    assert passed == total and int(total) > 0, stages["tests"]
    fuzzed = (
        r"(\d+) of \1 operations fuzzed \(\d+ requests\), no server errors or schema violations"
    )
    assert re.fullmatch(fuzzed, stages["fuzz"]["detail"]), stages["fuzz"]


async def test_a_fuzzer_out_of_time_leaves_the_version_complete(serve: Any) -> None:
    # Python alone starts slower than this: the fuzzer never gets to fuzz.
    status, stages = await first_version(serve(0.05))
    assert status == "complete", stages
    assert stages["fuzz"]["ok"] and stages["fuzz"]["detail"].startswith("inconclusive: "), stages
    assert stages["fuzz"]["duration_ms"] < 1050, stages["fuzz"]
