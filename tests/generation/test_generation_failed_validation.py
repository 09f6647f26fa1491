"""What the server says about a version that fails validation: each stage moves the progress,
the failure is said once in the chat, and the "complete" step is not run for it."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.server_process import ServerProcess
from tests.sse_reader import read_until_terminal

FUZZ_ERROR = "POST /books answered 500 for a valid body"


async def test_failed_validation_events_and_chat(tmp_path: Path) -> None:
    env = {
        "APIFORGE_VALIDATOR": "tests.generation.scripted_validator:ScriptedValidator",
        "APIFORGE_TEST_FAIL_STAGE": "fuzz",
        "APIFORGE_TEST_STAGE_DELAY_MS": "0",
    }
    server = ServerProcess(tmp_path, env=env)
    server.start()
    try:
        body = {"prompt": "A library API with books and members"}
        pid = httpx.post(f"{server.url}/api/projects", json=body).json()["project"]["id"]
        events = await read_until_terminal(server.url, pid, 1)
        chat = httpx.get(f"{server.url}/api/projects/{pid}/messages").json()["messages"]
        version = httpx.get(f"{server.url}/api/projects/{pid}/versions/1").json()["version"]
    finally:
        server.stop()
    stages = [f.data for f in events if f.event == "validation:progress"]
    assert [s["stage"] for s in stages] == [
        "syntax",
        "dependencies",
        "boot",
        "smoke",
        "tests",
        "fuzz",
    ]
    progress = [s["progress"] for s in stages]
    assert progress == sorted(set(progress)) and 80 < progress[0] and progress[-1] < 100
    steps = [f.data["step"] for f in events if f.event.startswith("step:")]
    assert "complete" not in steps and steps[-1] == "validating"
    end = events[-1]
    assert end.event == "version:complete" and end.data["status"] == "failed"
    assert version["status"] == "failed" and FUZZ_ERROR in version["error"]
    reply = chat[-1]["content"]
    assert reply.count(FUZZ_ERROR) == 1 and "Validation failed at fuzz" in reply
