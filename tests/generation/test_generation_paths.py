"""Reserved and unsafe paths chosen by the model: refused by the parser, told to the model in
the fix round like any other parse problem, never a crash while storing the version. And each
round's request to the model reported as a ``provider:call``.

A real server, the scripted OpenAI model and the scripted validator, set to fail its fuzz stage so
that every version gets its one fix round.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.providers.scripted_server import Pause, Reply
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


async def test_each_round_reports_its_provider_call(
    server: ServerProcess, scripted: ThreadedScriptedServer
) -> None:
    first = scripted_reply(GOOD, chunk=25, usage=(321, 54))
    # A changed file: a round that re-sends the same files is not validated again.
    changed = GOOD.replace("FastAPI()", 'FastAPI(title="Todo")')
    fix = scripted_reply(changed, chunk=25, usage=(402, 17))
    # A pause before each reply's first text, and one before its end.
    for reply in (first, fix):
        reply.steps[1:1] = [Pause(0.1)]
        reply.steps.insert(0, Pause(0.1))
    scripted.scripted.script(first, fix)
    response = httpx.post(f"{server.url}/api/projects", json={"prompt": "a todo API"}, timeout=10)
    events = await read_until_terminal(server.url, response.json()["project"]["id"], 1)

    calls = [f.data for f in events if f.event == "provider:call"]
    assert [(c["round"], c["call"], c["outcome"]) for c in calls] == [(0, 0, "ok"), (1, 0, "ok")]
    assert [(c["prompt_tokens"], c["completion_tokens"]) for c in calls] == [(321, 54), (402, 17)]
    assert all(c["provider"] == "openai" and c["model"] == "m" for c in calls)
    for call in calls:
        assert 100 <= call["first_token_ms"] <= call["duration_ms"]
        assert call["duration_ms"] >= 200
    end = events[-1]
    assert end.event == "version:complete"
    assert end.data["usage"] == {"prompt_tokens": 723, "completion_tokens": 71}
    # Each call is reported when its round's reply has streamed, before the round is validated.
    types = [f.event for f in events]
    starts = [i for i, f in enumerate(events) if f.event == "validation:start"]
    reported = [i for i, t in enumerate(types) if t == "provider:call"]
    assert reported[0] < starts[0] < reported[1] < starts[1]
