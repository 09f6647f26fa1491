"""Reserved and unsafe paths chosen by the model: refused by the parser, told to the model in
the fix round like any other parse problem, never a crash while storing the version.

A real server, the scripted OpenAI model and the scripted validator, set to fail its fuzz stage so
that every version gets its one fix round.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.providers.scripted_server import Reply
from tests.server_process import ServerProcess
from tests.sse_reader import read_until_terminal

from .scripted_app import model_reply as scripted_reply
from .scripted_app import scripted_app_server
from .scripted_thread import ThreadedScriptedServer

GOOD = '<file path="app/main.py">\nfrom fastapi import FastAPI\n\napp = FastAPI()\n</file>\n'


def model_reply(text: str) -> Reply:
    return scripted_reply(text, chunk=25, usage=(40, 20))


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, model: ThreadedScriptedServer
) -> Iterator[ServerProcess]:
    data_dir: Path = tmp_path_factory.mktemp("paths")
    with scripted_app_server(data_dir, model, fail_stage="fuzz", fix_rounds=1) as process:
        yield process


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        "app/.git/hooks/pre-commit",
        ".GIT/HEAD",
        ".venv/bin/python",
        "app/__pycache__/main.cpython-311.pyc",
        "app/\x7fmain.py",
        "con/../../etc/passwd",
        "/etc/passwd",
        "C:/boot.ini",
    ],
)
async def test_a_reserved_path_is_a_problem_for_the_model_not_a_crash(
    server: ServerProcess, scripted: ThreadedScriptedServer, path: str
) -> None:
    bad = f'<file path="{path}">\n[core]\n</file>\n'
    scripted.scripted.script(model_reply(GOOD + bad), model_reply(GOOD))
    response = httpx.post(f"{server.url}/api/projects", json={"prompt": "a todo API"}, timeout=10)
    project_id = response.json()["project"]["id"]
    events = await read_until_terminal(server.url, project_id, 1)

    assert events[-1].event == "version:complete", events[-1].data
    base = f"{server.url}/api/projects/{project_id}"
    version = httpx.get(f"{base}/versions/1", timeout=10).json()["version"]
    # Failed by the scripted fuzz stage, not by storing the files.
    assert version["status"] == "failed" and "answered 500" in version["error"], version
    assert version["cost_usd"] is None  # the server has no price for the model: not known
    files = httpx.get(f"{base}/versions/1/files", timeout=10).json()["files"]
    assert list(files) == ["app/main.py"]
    assert not any(f.data.get("path") == path for f in events if f.event.startswith("file:"))
    # The second request is the fix round, and it names the refused path.
    assert len(scripted.scripted.requests) == 2
    told = scripted.scripted.requests[1].body["messages"][-1]["content"]
    assert f"- {path}: " in told or f"\n{path}: " in told, told


async def test_lone_surrogates_from_the_model_are_stored_as_replacement_characters(
    server: ServerProcess, scripted: ThreadedScriptedServer
) -> None:
    # JSON lets a model escape half a surrogate pair; UTF-8 (SQLite, files) cannot hold one.
    reply = 'Plan \ud800.\n<file path="app/\udfff.py">\nX = "\ud83d"\n</file>\n' + GOOD
    scripted.scripted.script(model_reply(reply), model_reply(GOOD))
    response = httpx.post(f"{server.url}/api/projects", json={"prompt": "a todo API"}, timeout=10)
    project_id = response.json()["project"]["id"]
    events = await read_until_terminal(server.url, project_id, 1)

    assert events[-1].event == "version:complete", events[-1].data
    base = f"{server.url}/api/projects/{project_id}"
    files = httpx.get(f"{base}/versions/1/files", timeout=10).json()["files"]
    assert files["app/\ufffd.py"] == 'X = "\ufffd"\n'
