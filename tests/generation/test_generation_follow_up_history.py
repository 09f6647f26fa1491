"""What a follow-up sends the model as history: the person's earlier requests, not apiforge's notes.

Small models copied the previous version's assistant message (apiforge's summary and
validation notes) back instead of writing files. A real server and a scripted OpenAI model:
the follow-up's request must carry the earlier prompt and the current files, and no assistant
turn with apiforge's prose.
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

FIRST_REPLY = (
    "Understood: one greeting route.\n"
    '<file path="requirements.txt">\nfastapi\n</file>\n'
    '<file path="app/main.py">\nfrom fastapi import FastAPI\n\napp = FastAPI()\n</file>\n'
    "<summary>A greeting API with a test.</summary>\n"
)
FOLLOW_UP_REPLY = (
    '<file path="app/health.py">\ndef health() -> dict[str, str]:\n    return {}\n</file>\n'
    "<summary>Added health.</summary>\n"
)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, model: ThreadedScriptedServer
) -> Iterator[ServerProcess]:
    data_dir: Path = tmp_path_factory.mktemp("follow-up-history")
    with scripted_app_server(data_dir, model, fail_stage="", fix_rounds=1) as process:
        yield process


async def test_a_follow_up_sends_earlier_requests_but_not_apiforges_notes(
    server: ServerProcess, scripted: ThreadedScriptedServer
) -> None:
    scripted.scripted.script(model_reply(FIRST_REPLY), model_reply(FOLLOW_UP_REPLY))
    base = f"{server.url}/api/projects"
    created = httpx.post(base, json={"prompt": "a greeting API"}, timeout=10).json()
    project_id = created["project"]["id"]
    first = await read_until_terminal(server.url, project_id, 1)
    assert first[-1].event == "version:complete"
    chat = httpx.get(f"{base}/{project_id}/messages", timeout=10).json()["messages"]
    notes = next(m["content"] for m in chat if m["role"] == "assistant")
    assert "A greeting API with a test." in notes  # what the model used to copy back

    response = httpx.post(
        f"{base}/{project_id}/versions", json={"prompt": "add a health route"}, timeout=10
    )
    response.raise_for_status()
    events = await read_until_terminal(server.url, project_id, 2, last_event_id=first[-1].id)
    assert events[-1].event == "version:complete"

    sent: list[dict[str, str]] = scripted.scripted.requests[1].body["messages"]
    assert [m["role"] for m in sent] == ["system", "user"]
    final = sent[-1]["content"]
    assert "a greeting API" in final
    assert '<file path="app/main.py">' in final
    assert final.endswith("Request:\nadd a health route")
    for line in notes.splitlines():
        if line.strip():
            assert line.strip() not in final
