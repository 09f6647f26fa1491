"""The self-correction loop end to end: a real server, the sandbox, a scripted OpenAI model.

The model's first reply is a project with one failing test. Either its fix (an ``<edit>``)
repairs it in round 1, or it never does and the loop stops at ``APIFORGE_FIX_ROUNDS``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent
from typing import Any

import httpx
import pytest

from apiforge.sandbox.runtime import find_bwrap
from tests.providers.protocols import Dialect
from tests.providers.scripted_server import Reply
from tests.server_process import ServerProcess
from tests.sse_reader import Frame, read_until_terminal

from .scripted_thread import ThreadedScriptedServer

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        find_bwrap() is None and os.geteuid() != 0,
        reason="bubblewrap is not installed and we are not root to install it",
    ),
]

FIX_ROUNDS = 2
OPENAI = Dialect("openai")
# The server's price for the scripted model "m", USD per million tokens.
PRICE = {"input": 0.15, "output": 0.6}

MAIN = dedent(
    """\
    from fastapi import FastAPI

    app = FastAPI(title="Health")


    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}
    """
)
FAILING_TEST = dedent(
    """\
    from fastapi.testclient import TestClient

    from app.main import app


    def test_health_answers() -> None:
        assert TestClient(app).get("/health").status_code == 200


    def test_health_says_fine() -> None:
        assert TestClient(app).get("/health").json() == {"status": "fine"}
    """
)
FIRST_REPLY = (
    "A tiny health API.\n"
    '<file path="requirements.txt">\nfastapi\nuvicorn\nhttpx\npytest\n</file>\n'
    '<file path="app/__init__.py">\n</file>\n'
    f'<file path="app/main.py">\n{MAIN}</file>\n'
    '<file path="tests/__init__.py">\n</file>\n'
    f'<file path="tests/test_health.py">\n{FAILING_TEST}</file>\n'
    "<summary>A health endpoint with tests.</summary>\n"
)
FIXING_EDIT = (
    "The test expected the wrong status.\n"
    '<edit path="tests/test_health.py">\n'
    "<<<<<<< SEARCH\n"
    '    assert TestClient(app).get("/health").json() == {"status": "fine"}\n'
    "=======\n"
    '    assert TestClient(app).get("/health").json() == {"status": "ok"}\n'
    ">>>>>>> REPLACE\n"
    "</edit>\n"
    "<summary>Fixed the health test.</summary>\n"
)
# Searches for lines that are nowhere in the file: nothing applies, the model is told so.
MISSING_EDIT = (
    '<edit path="app/main.py">\n'
    "<<<<<<< SEARCH\n"
    "def readiness_probe(database: Database) -> bool:\n"
    "    return database.connected and not database.migrating\n"
    "=======\n"
    "def readiness_probe(database: Database) -> bool:\n"
    "    return database.connected\n"
    ">>>>>>> REPLACE\n"
    "</edit>\n"
    "<summary>Changed the status.</summary>\n"
)
USELESS_FIX = "I looked again; it is fine.\n<summary>No change.</summary>\n"


def model_reply(text: str, usage: tuple[int, int]) -> Reply:
    """``text`` streamed in small chunks, as a model would."""
    chunks = [text[i : i + 40] for i in range(0, len(text), 40)]
    return OPENAI.reply(chunks, usage=usage)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, model: ThreadedScriptedServer
) -> Iterator[ServerProcess]:
    data_dir: Path = tmp_path_factory.mktemp("fix-loop")
    process = ServerProcess(
        data_dir,
        env={
            **model.openai_env(),
            "APIFORGE_VALIDATOR": "sandbox",
            "APIFORGE_SANDBOX_FUZZ_S": "0",
            "APIFORGE_SANDBOX_FIRST_UID": "64100",
            "APIFORGE_FIX_ROUNDS": str(FIX_ROUNDS),
            "APIFORGE_PRICES": json.dumps({"m": PRICE}),
        },
    )
    process.start()
    yield process
    process.stop()


async def generate(server: ServerProcess, prompt: str) -> tuple[list[Frame], dict[str, Any]]:
    response = httpx.post(f"{server.url}/api/projects", json={"prompt": prompt}, timeout=10)
    assert response.status_code == 201, response.text
    project_id = response.json()["project"]["id"]
    events = await read_until_terminal(server.url, project_id, 1)
    base = f"{server.url}/api/projects/{project_id}"
    version = httpx.get(f"{base}/versions/1", timeout=10).json()["version"]
    # The project's one version is its total.
    total = httpx.get(base, timeout=10).json()["usage"]
    expected = {**version["usage"], "cost_usd": version["cost_usd"], "versions_without_cost": 0}
    assert total == expected
    messages = httpx.get(f"{base}/messages", timeout=10).json()["messages"]
    assistant = [m["content"] for m in messages if m["role"] == "assistant"]
    assert len(assistant) == 1
    return events, {**version, "chat": assistant[0]}


def chat_text(events: list[Frame]) -> str:
    return "".join(f.data["text"] for f in events if f.event == "message:chunk")


def last_user_message(scripted: ThreadedScriptedServer, index: int) -> str:
    content: str = scripted.scripted.requests[index].body["messages"][-1]["content"]
    return content


async def test_fix_round_repairs_a_failing_test(
    server: ServerProcess, scripted: ThreadedScriptedServer
) -> None:
    scripted.scripted.script(
        model_reply(FIRST_REPLY, (100, 40)), model_reply(FIXING_EDIT, (150, 20))
    )
    events, version = await generate(server, "a health endpoint")

    assert len(scripted.scripted.requests) == 2
    repair = last_user_message(scripted, 1)
    assert "tests/test_health.py::test_health_says_fine" in repair
    assert "assert" in repair and 'return {"status": "ok"}' in repair  # current files sent
    completes = [f.data for f in events if f.event == "validation:complete"]
    assert [c["ok"] for c in completes] == [False, True]
    title = "Fixing 1 failing test — round 1 of 2"
    assert any(f.event == "step:start" and f.data["message"] == title for f in events)
    assert title in chat_text(events) and "Validated: " in chat_text(events)
    end = events[-1]
    assert end.event == "version:complete" and end.data["status"] == "complete"
    assert end.data["usage"] == {"prompt_tokens": 250, "completion_tokens": 60}
    assert version["status"] == "complete"
    assert version["usage"] == {"prompt_tokens": 250, "completion_tokens": 60}
    # Both rounds' tokens, at the server's price for "m" (USD per million tokens).
    cost = (250 * PRICE["input"] + 60 * PRICE["output"]) / 1_000_000
    assert end.data["cost_usd"] == pytest.approx(cost) == version["cost_usd"]
    assert title in version["chat"] and "Validated: " in version["chat"]
    assert "2/2 tests passed" in version["chat"]
    completed = [f.data for f in events if f.event == "file:complete"]
    fixed = [data for data in completed if data["operation"] == "modified"]
    assert [f["path"] for f in fixed] == ["tests/test_health.py"]
    assert '{"status": "ok"}' in fixed[0]["content"]


async def test_loop_stops_at_the_cap_when_the_model_cannot_fix(
    server: ServerProcess, scripted: ThreadedScriptedServer
) -> None:
    scripted.scripted.script(
        model_reply(FIRST_REPLY, (100, 40)),
        model_reply(MISSING_EDIT, (120, 10)),
        model_reply(USELESS_FIX, (130, 5)),
        model_reply(FIXING_EDIT, (1, 1)),  # never asked for: the cap holds
    )
    events, version = await generate(server, "a health endpoint")

    assert len(scripted.scripted.requests) == 1 + FIX_ROUNDS
    # The edit of round 1 did not apply: round 2 tells the model so.
    assert "app/main.py: SEARCH block 1 did not match" in last_user_message(scripted, 2)
    assert "test_health_says_fine" in last_user_message(scripted, 2)
    completes = [f.data["ok"] for f in events if f.event == "validation:complete"]
    # Round 2's reply holds no file: nothing new to validate (docs/events.md, the no-files rule).
    assert completes == [False] * FIX_ROUNDS
    chat = chat_text(events)
    assert "round 1 of 2" in chat and "round 2 of 2" in chat
    end = events[-1]
    assert end.event == "version:complete" and end.data["status"] == "failed"
    assert end.data["usage"] == {"prompt_tokens": 350, "completion_tokens": 55}
    assert version["status"] == "failed"
    assert "after 2 fix rounds" in version["error"] and "test_health_says_fine" in version["error"]
    assert "Validation failed at tests" in version["chat"]
    assert version["validation"] and not all(stage["ok"] for stage in version["validation"])
