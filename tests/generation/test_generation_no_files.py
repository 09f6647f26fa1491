"""The no-files rule end to end: a real server, a scripted OpenAI model, a scripted validator.

A reply with no files is not validated; the next round says it had no files and asks for them
with the expected shape; a second reply without files ends the version failed, the reply kept
on the ``error`` event for the developer console.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiforge.generation.steps.no_files import EXPECTED_SHAPE, NO_FILES_MESSAGE
from tests.server_process import ServerProcess
from tests.sse_reader import Frame, read_until_terminal

from .scripted_app import model_reply, scripted_app_server
from .scripted_thread import ThreadedScriptedServer

# What the 0.5B model answered in the issue: file names, then the prompt's own rules echoed.
LISTING_ONLY = (
    "Here is the project:\n"
    "- `app/main.py`: The main application file.\n"
    "- `requirements.txt`: The dependencies.\n"
    "3. To remove a file: 4. Last:\n"
)
ECHOED_AGAIN = "1. One or two short lines for the chat.\n2. The files, each as\n"
MARKDOWN_FILES = (
    "1. **requirements.txt**:\n```\nfastapi\nuvicorn\n```\n\n"
    "2. **app/main.py**:\n```python\nfrom fastapi import FastAPI\n\napp = FastAPI()\n```\n"
)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, model: ThreadedScriptedServer
) -> Iterator[ServerProcess]:
    data_dir: Path = tmp_path_factory.mktemp("no-files")
    with scripted_app_server(data_dir, model, fail_stage="", fix_rounds=3) as process:
        yield process


async def generate(server: ServerProcess, prompt: str) -> tuple[list[Frame], dict[str, Any]]:
    response = httpx.post(f"{server.url}/api/projects", json={"prompt": prompt}, timeout=10)
    project_id = response.json()["project"]["id"]
    events = await read_until_terminal(server.url, project_id, 1)
    base = f"{server.url}/api/projects/{project_id}"
    version = httpx.get(f"{base}/versions/1", timeout=10).json()["version"]
    messages = httpx.get(f"{base}/messages", timeout=10).json()["messages"]
    return events, {**version, "chat": [m["content"] for m in messages if m["role"] != "user"]}


def sent_messages(scripted: ThreadedScriptedServer, index: int) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = scripted.scripted.requests[index].body["messages"]
    return messages


async def test_a_reply_without_files_gets_one_round_asking_for_them(
    server: ServerProcess, scripted: ThreadedScriptedServer
) -> None:
    scripted.scripted.script(model_reply(LISTING_ONLY), model_reply(MARKDOWN_FILES))
    events, version = await generate(server, "a todo API")

    assert len(scripted.scripted.requests) == 2
    first, second = sent_messages(scripted, 0), sent_messages(scripted, 1)
    assert second != first
    ask = second[-1]["content"]
    assert second[-1]["role"] == "user" and "contained no files" in ask and EXPECTED_SHAPE in ask
    assert second[-2] == {"role": "assistant", "content": LISTING_ONLY.strip()}
    # Nothing to validate in the reply without files: validation ran once, on the files.
    assert [f.data["ok"] for f in events if f.event == "validation:complete"] == [True]
    assert any(
        f.event == "step:start" and f.data["message"].startswith("Asking the model for the files")
        for f in events
    )
    completed = {f.data["path"] for f in events if f.event == "file:complete"}
    assert completed == {"requirements.txt", "app/main.py"}
    assert events[-1].event == "version:complete" and events[-1].data["status"] == "complete"
    calls = [f.data for f in events if f.event == "provider:call"]
    assert [(c["round"], c["outcome"]) for c in calls] == [(0, "no_files"), (1, "ok")]
    assert version["status"] == "complete"


async def test_a_second_reply_without_files_ends_the_version(
    server: ServerProcess, scripted: ThreadedScriptedServer
) -> None:
    scripted.scripted.script(
        model_reply(LISTING_ONLY),
        model_reply(ECHOED_AGAIN),
        model_reply(MARKDOWN_FILES),  # never asked for: no more rounds are burnt
    )
    events, version = await generate(server, "a todo API")

    assert len(scripted.scripted.requests) == 2
    assert not any(f.event == "validation:start" for f in events)
    calls = [f.data for f in events if f.event == "provider:call"]
    assert [(c["round"], c["outcome"]) for c in calls] == [(0, "no_files"), (1, "no_files")]
    end = events[-1]
    assert end.event == "error" and end.data["code"] == "no_files"
    assert end.data["message"] == NO_FILES_MESSAGE
    assert end.data["raw_reply"] == ECHOED_AGAIN
    assert version["status"] == "failed" and version["error"] == NO_FILES_MESSAGE
    assert version["chat"] == [NO_FILES_MESSAGE]
