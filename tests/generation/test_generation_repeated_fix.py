"""A fix round whose reply re-sends the same files ends the version: no round is burnt on it.

A real server, a scripted OpenAI model and a validator that always fails the tests stage: the
round's reply holds exactly the files the version already has, so validating it again, or
asking again with the same conversation, cannot help.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server_process import ServerProcess
from tests.sse_reader import read_until_terminal

from .scripted_app import model_reply, scripted_app_server
from .scripted_thread import ThreadedScriptedServer

FILES = (
    '<file path="requirements.txt">\nfastapi\n</file>\n'
    '<file path="app/main.py">\nfrom fastapi import FastAPI\n\napp = FastAPI()\n</file>\n'
)
FIRST_REPLY = f"Understood.\n{FILES}<summary>A first try.</summary>\n"
SAME_AGAIN = f"Here is the fix.\n{FILES}<summary>Fixed.</summary>\n"
DIFFERENT = (
    '<file path="app/main.py">\nfrom fastapi import FastAPI\n\napp = FastAPI(x=1)\n</file>\n'
)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, model: ThreadedScriptedServer
) -> Iterator[ServerProcess]:
    data_dir: Path = tmp_path_factory.mktemp("repeated-fix")
    with scripted_app_server(data_dir, model, fail_stage="tests", fix_rounds=3) as process:
        yield process


async def generate(server: ServerProcess) -> tuple[list[str], dict[str, str]]:
    base = f"{server.url}/api/projects"
    project_id = httpx.post(base, json={"prompt": "a todo API"}, timeout=10).json()["project"]["id"]
    events = await read_until_terminal(server.url, project_id, 1)
    assert events[-1].data["status"] == "failed"
    version = httpx.get(f"{base}/{project_id}/versions/1", timeout=10).json()["version"]
    validations = [str(f.data["ok"]) for f in events if f.event == "validation:complete"]
    return validations, version


async def test_a_round_that_resends_the_same_files_ends_the_version(
    server: ServerProcess, scripted: ThreadedScriptedServer
) -> None:
    scripted.scripted.script(
        model_reply(FIRST_REPLY),
        model_reply(SAME_AGAIN),
        model_reply(DIFFERENT),  # never asked for
    )
    validations, version = await generate(server)

    assert len(scripted.scripted.requests) == 2
    assert validations == ["False"]  # the same files are not validated again
    assert version["status"] == "failed"
    assert version["error"].startswith("Validation failed (after 1 fix round)")
    assert "the model sent the same files again" in version["error"]


async def test_a_round_that_changes_a_file_is_validated_and_the_next_one_is_asked_for(
    server: ServerProcess, scripted: ThreadedScriptedServer
) -> None:
    scripted.scripted.script(
        model_reply(FIRST_REPLY),
        model_reply(DIFFERENT),  # round 1 changes app/main.py: validated again
        model_reply(DIFFERENT),  # round 2 re-sends round 1's file: the version ends
        model_reply(SAME_AGAIN),  # never asked for
    )
    validations, version = await generate(server)

    assert len(scripted.scripted.requests) == 3
    assert validations == ["False", "False"]
    rounds = [r.body["messages"] for r in scripted.scripted.requests[1:]]
    assert rounds[0] != rounds[1]  # each round's request shows the files as they are now
    assert "In round 2 the model sent the same files again" in version["error"]
