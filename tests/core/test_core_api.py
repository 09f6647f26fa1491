"""The JSON API: projects, versions, chat, conflicts, cancel, and refusing bad input."""

from __future__ import annotations

import httpx
import pytest

from tests.server_process import ServerProcess
from tests.sse_reader import frames, read_until_terminal

PROMPT = "a todo API with tasks (title, done, due date) and users (name, email)"


def count_projects(server: ServerProcess) -> int:
    return len(httpx.get(f"{server.url}/api/projects").json()["projects"])


def post_project(server: ServerProcess, body: object) -> httpx.Response:
    return httpx.post(f"{server.url}/api/projects", json=body, timeout=10)


async def test_create_returns_pending_version_at_once(live_server: ServerProcess) -> None:
    response = post_project(live_server, {"prompt": PROMPT, "name": "Todos"})
    assert response.status_code == 201
    body = response.json()
    assert body["project"]["name"] == "Todos"
    version = body["version"]
    assert version["number"] == 1 and version["status"] == "pending"
    for key in (
        "id",
        "project_id",
        "prompt",
        "summary",
        "created_at",
        "completed_at",
        "files_changed",
        "error",
    ):
        assert key in version
    assert version["cost_usd"] is None  # not known until the version ends
    pid = body["project"]["id"]
    events = await read_until_terminal(live_server.url, pid, 1)
    assert events[-1].data["cost_usd"] == 0  # the offline engine costs nothing
    detail = httpx.get(f"{live_server.url}/api/projects/{pid}").json()
    assert [v["status"] for v in detail["versions"]] == ["complete"]
    assert detail["versions"][0]["cost_usd"] == 0
    assert detail["usage"] == {
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cost_usd": 0,
        "versions_without_cost": 0,
    }
    assert pid in {p["id"] for p in httpx.get(f"{live_server.url}/api/projects").json()["projects"]}


async def test_follow_up_makes_next_version_and_chat(live_server: ServerProcess) -> None:
    pid = post_project(live_server, {"prompt": PROMPT}).json()["project"]["id"]
    await read_until_terminal(live_server.url, pid, 1)
    response = httpx.post(
        f"{live_server.url}/api/projects/{pid}/versions", json={"prompt": "add pagination"}
    )
    assert response.status_code == 202
    assert response.json()["version"]["number"] == 2
    await read_until_terminal(live_server.url, pid, 2)
    versions = httpx.get(f"{live_server.url}/api/projects/{pid}/versions").json()["versions"]
    assert [(v["number"], v["status"]) for v in versions] == [(1, "complete"), (2, "complete")]
    chat = httpx.get(f"{live_server.url}/api/projects/{pid}/messages").json()["messages"]
    assert [(m["role"], m["version_number"]) for m in chat] == [
        ("user", 1),
        ("assistant", 1),
        ("user", 2),
        ("assistant", 2),
    ]
    assert chat[2]["content"] == "add pagination"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"prompt": ""}, 422, "empty_prompt"),
        ({"prompt": "   "}, 422, "empty_prompt"),
        ({"prompt": "x" * 9000}, 422, "prompt_too_long"),
        ({"prompt": 42}, 422, "invalid_input"),
        ({"prompt": ["a"]}, 422, "invalid_input"),
        ({}, 422, "invalid_input"),
        ({"prompt": "a todo API", "colour": "red"}, 422, "invalid_input"),
        ({"prompt": "a todo API", "name": 3}, 422, "invalid_input"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    live_server: ServerProcess, body: object, status: int, code: str
) -> None:
    before = count_projects(live_server)
    response = post_project(live_server, body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert count_projects(live_server) == before


def test_malformed_json_is_a_400(live_server: ServerProcess) -> None:
    before = count_projects(live_server)
    response = httpx.post(
        f"{live_server.url}/api/projects",
        content=b'{"prompt": ',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert count_projects(live_server) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/projects/nope"),
        ("GET", "/api/projects/nope/versions"),
        ("GET", "/api/projects/nope/versions/1"),
        ("GET", "/api/projects/nope/versions/1/files"),
        ("GET", "/api/projects/nope/messages"),
        ("POST", "/api/projects/nope/cancel"),
        ("DELETE", "/api/projects/nope"),
    ],
)
def test_unknown_ids_are_404(live_server: ServerProcess, method: str, path: str) -> None:
    response = httpx.request(method, f"{live_server.url}{path}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_unknown_version_number_is_404(live_server: ServerProcess) -> None:
    pid = post_project(live_server, {"prompt": PROMPT}).json()["project"]["id"]
    assert httpx.get(f"{live_server.url}/api/projects/{pid}/versions/9").status_code == 404
    assert httpx.get(f"{live_server.url}/api/projects/{pid}/versions/x").status_code == 422
    await read_until_terminal(live_server.url, pid, 1)


async def test_second_generation_while_running_is_409(slow_server: ServerProcess) -> None:
    pid = post_project(slow_server, {"prompt": PROMPT}).json()["project"]["id"]
    response = httpx.post(f"{slow_server.url}/api/projects/{pid}/versions", json={"prompt": "x y"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "generation_running"
    assert response.json()["error"]["retryable"] is True
    assert len(httpx.get(f"{slow_server.url}/api/projects/{pid}/versions").json()["versions"]) == 1
    await read_until_terminal(slow_server.url, pid, 1)


async def test_cancel_stops_generation_and_keeps_completed_files(
    slow_server: ServerProcess,
) -> None:
    pid = post_project(slow_server, {"prompt": PROMPT}).json()["project"]["id"]
    seen = []
    async for frame in frames(slow_server.url, pid):
        seen.append(frame)
        if frame.event == "file:complete":
            break
    assert httpx.post(f"{slow_server.url}/api/projects/{pid}/cancel").json() == {"cancelled": True}
    rest = await read_until_terminal(slow_server.url, pid, 1, last_event_id=seen[-1].id)
    assert rest[-1].event == "cancelled"
    version = httpx.get(f"{slow_server.url}/api/projects/{pid}/versions/1").json()["version"]
    assert version["status"] == "cancelled"
    completed = {f.data["path"] for f in seen + rest if f.event == "file:complete"}
    files = httpx.get(f"{slow_server.url}/api/projects/{pid}/versions/1/files").json()["files"]
    assert set(files) == completed and files
    chat = httpx.get(f"{slow_server.url}/api/projects/{pid}/messages").json()["messages"]
    assert "Stopped" in chat[-1]["content"]
    idle = httpx.post(f"{slow_server.url}/api/projects/{pid}/cancel").json()
    assert idle == {"cancelled": False}


async def test_delete_project(live_server: ServerProcess) -> None:
    pid = post_project(live_server, {"prompt": PROMPT}).json()["project"]["id"]
    assert httpx.delete(f"{live_server.url}/api/projects/{pid}").status_code == 204
    assert httpx.get(f"{live_server.url}/api/projects/{pid}").status_code == 404


async def test_unreadable_prompt_fails_with_explanation(live_server: ServerProcess) -> None:
    pid = post_project(live_server, {"prompt": "hello there, how are you?"}).json()["project"]["id"]
    events = await read_until_terminal(live_server.url, pid, 1)
    assert events[-1].event == "error"
    assert events[-1].data["code"] == "prompt_not_understood"
    version = httpx.get(f"{live_server.url}/api/projects/{pid}/versions/1").json()["version"]
    assert version["status"] == "failed" and version["error"]
    chat = httpx.get(f"{live_server.url}/api/projects/{pid}/messages").json()["messages"]
    assert chat[-1]["role"] == "assistant" and chat[-1]["content"]
