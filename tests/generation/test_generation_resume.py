"""A model that answers differently after a restart: the version's picture starts again, said once.

The scripted model's first reply stops (hangs) after two files; the server is killed there.
After the restart DBOS asks the model again and it answers with another plan and other files.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.core.test_core_restart import wait_for_status
from tests.core.test_core_resume import (
    assert_progress_falls_only_when_said,
    progress_values,
    read_until_files,
)
from tests.providers.protocols import Dialect
from tests.providers.scripted_server import Hang, Reply
from tests.server_process import ServerProcess
from tests.sse_reader import Frame, read_until_terminal

from .scripted_thread import ThreadedScriptedServer

OPENAI = Dialect("openai")
FIRST_ANSWER = [
    "Plan A: a health API in three files.\n",
    '<file path="requirements.txt">\nfastapi\n</file>\n',
    '<file path="app/__init__.py">\n</file>\n',
    '<file path="app/main.py">\nfrom fastapi import FastAPI\n',
]
SECOND_ANSWER = [
    "Plan B: a status API in two files.\n",
    '<file path="app/__init__.py">\n</file>\n',
    '<file path="app/status.py">\nSTATUS = "ok"\n</file>\n',
    "<summary>A status constant.</summary>\n",
]


@pytest.fixture
def server(tmp_path: Path, model: ThreadedScriptedServer) -> Iterator[ServerProcess]:
    model.scripted.replies.clear()
    process = ServerProcess(
        tmp_path / "server",
        env={
            **model.openai_env(),
        },
    )
    yield process
    process.kill()
    model.scripted.replies.clear()


def after_last_reset(picture: list[Frame]) -> list[Frame]:
    """What a client shows: everything after the last "start again" marker."""
    resets = [i for i, f in enumerate(picture) if f.event == "step:start" and f.data["resumed"]]
    return picture[resets[-1] + 1 :] if resets else picture


async def test_a_different_answer_after_a_restart_replaces_the_picture(
    server: ServerProcess, model: ThreadedScriptedServer
) -> None:
    model.scripted.script(Reply(OPENAI.opening(FIRST_ANSWER) + [Hang()]))
    server.start()
    created = httpx.post(f"{server.url}/api/projects", json={"prompt": "a health API"}).json()
    pid = created["project"]["id"]
    await read_until_files(server, pid, 2)
    time.sleep(0.3)  # the log flushes every 50 ms
    server.kill()
    model.scripted.script(OPENAI.reply(SECOND_ANSWER))
    server.start()
    assert wait_for_status(server, pid, timeout=60) == "complete"
    picture = await read_until_terminal(server.url, pid, 1)

    said = [f.data["message"] for f in picture if f.data.get("resumed")]
    assert said == [
        "Resumed after a restart — continuing from file 3",
        "Resumed after a restart — the answer changed, so it is written again from the start",
    ]
    shown = after_last_reset(picture)
    prose = "".join(f.data["text"] for f in shown if f.event == "message:chunk")
    assert prose.startswith("Plan B") and "Plan A" not in prose
    plan_ready = [f for f in shown if f.event == "step:complete" and f.data["step"] == "planning"]
    assert len(plan_ready) == 1
    completed = [f.data["path"] for f in shown if f.event == "file:complete"]
    assert completed == ["app/__init__.py", "app/status.py"]
    assert_progress_falls_only_when_said(picture)
    reset = picture[len(picture) - len(shown) - 1]
    assert reset.data["progress"] == 0 < max(progress_values(picture[: len(picture) - len(shown)]))
    stored = httpx.get(f"{server.url}/api/projects/{pid}/versions/1/files").json()["files"]
    assert sorted(stored) == completed
