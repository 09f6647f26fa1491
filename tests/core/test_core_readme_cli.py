"""The README's command-line walk-through runs as written (its example id aside), in the
environment `make serve` builds when `make test` names it: a newcomer copies it first. Its
follow-up once asked for a field the first version already had, and failed."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.sandbox.serve_env import SERVE_PYTHON_ENV, clean_env
from tests.server_process import ServerProcess

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE_ID = "3f2a"


def readme_commands() -> list[list[str]]:
    """The command lines of the sh block under "## Use it", comments dropped."""
    block = README.read_text().split("## Use it", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [line.split("  #", 1)[0].strip() for line in block.splitlines()]
    return [shlex.split(line) for line in lines if line]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    python = os.environ.get(SERVE_PYTHON_ENV, sys.executable)
    env = {"APIFORGE_VALIDATOR": "none", "APIFORGE_PROVIDER": "offline"}
    process = ServerProcess(tmp_path / "data", env=env, python=python)
    process.start()
    yield process
    process.stop()


def run(server: ServerProcess, words: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    assert words[0] == ".venv/bin/apiforge", words
    stdout_to = None
    if ">" in words:
        words, stdout_to = words[: words.index(">")], words[words.index(">") + 1]
    env = {**clean_env(), "APIFORGE_DATA_DIR": str(server.data_dir), "COLUMNS": "200"}
    done = subprocess.run(
        [server.python, "-m", "apiforge.cli", *words[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (words, done.stdout, done.stderr)
    if stdout_to is not None:
        (cwd / stdout_to).write_text(done.stdout)
    return done


def test_the_readme_walk_through_works_as_written(server: ServerProcess, tmp_path: Path) -> None:
    commands = readme_commands()
    assert [c[1] for c in commands] == [
        "generate",
        "projects",
        "iterate",
        "versions",
        "diff",
        "export",
    ]
    run(server, commands[0], tmp_path)
    listed = json.loads(run(server, [*commands[1], "--json"], tmp_path).stdout)
    project_id = listed[0]["id"]
    for words in commands[2:]:
        run(server, [project_id[:4] if w == EXAMPLE_ID else w for w in words], tmp_path)
    assert (tmp_path / "bookstore" / "app").is_dir()
    patch = tmp_path / "v1-v2.patch"
    assert "+++ b/app/" in patch.read_text()
    # As the README says: git apply takes it, here on v1 as `generate --out` wrote it.
    applies = subprocess.run(
        ["git", "apply", "--check", str(patch)], cwd=tmp_path / "bookstore", capture_output=True
    )
    assert applies.returncode == 0, applies.stderr
    assert (tmp_path / "api.zip").stat().st_size > 0
    project = httpx.get(f"{server.url}/api/projects/{project_id}", timeout=10).json()["project"]
    assert project["latest_version"]["number"] == 2, project
    assert project["latest_version"]["status"] == "complete", project
