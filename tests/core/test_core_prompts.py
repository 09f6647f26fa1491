"""Prompts with control characters are refused on every route that takes one; the UI reads the
length limit from /api/health."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.server_process import ServerProcess
from tests.sse_reader import read_until_terminal

PROMPT = "a todo API with tasks (title, done)"
REFUSED = [
    "a todo API\x00 with tasks",
    "a todo API\x07",
    "\x1b[31ma todo API",
    "a todo API\x7f",
    "a todo API\x85 with tasks",
]


def versions_of(server: ServerProcess, pid: str) -> list[int]:
    url = f"{server.url}/api/projects/{pid}/versions"
    return [v["number"] for v in httpx.get(url, timeout=5).json()["versions"]]


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "control_characters"
    assert "control character" in error["message"] and "U+" in error["message"]


@pytest.mark.parametrize("prompt", REFUSED)
def test_new_project_with_control_characters_is_refused(
    live_server: ServerProcess, prompt: str
) -> None:
    before = httpx.get(f"{live_server.url}/api/projects").json()["projects"]
    assert_refused(httpx.post(f"{live_server.url}/api/projects", json={"prompt": prompt}))
    assert httpx.get(f"{live_server.url}/api/projects").json()["projects"] == before


async def test_follow_up_and_websocket_prompt_with_control_characters_are_refused(
    live_server: ServerProcess,
) -> None:
    created = httpx.post(f"{live_server.url}/api/projects", json={"prompt": PROMPT}).json()
    pid = created["project"]["id"]
    await read_until_terminal(live_server.url, pid, 1)
    url = f"{live_server.url}/api/projects/{pid}/versions"
    assert_refused(httpx.post(url, json={"prompt": "add pagination\x00"}))
    ws_url = live_server.url.replace("http://", "ws://") + f"/api/ws/{pid}"
    async with connect(ws_url) as ws:
        await ws.send(json.dumps({"action": "prompt", "prompt": "add\x00 pagination"}))
        while (message := json.loads(await ws.recv()))["type"] != "error" or "seq" in message:
            pass
    assert message["code"] == "control_characters" and "U+0000" in message["message"]
    assert versions_of(live_server, pid) == [1]


def test_line_breaks_and_tabs_are_kept(live_server: ServerProcess) -> None:
    prompt = "a todo API\r\nwith tasks:\n\t- title\n\t- done"
    response = httpx.post(f"{live_server.url}/api/projects", json={"prompt": prompt})
    assert response.status_code == 201, response.text
    assert response.json()["version"]["prompt"] == prompt


def test_health_gives_the_prompt_limit(live_server: ServerProcess) -> None:
    health = httpx.get(f"{live_server.url}/api/health").json()
    assert health["max_prompt_chars"] == 8000
    too_long = httpx.post(f"{live_server.url}/api/projects", json={"prompt": "x" * 8001})
    assert too_long.json()["error"]["code"] == "prompt_too_long"
    fits = httpx.post(f"{live_server.url}/api/projects", json={"prompt": "a " + "x" * 7998})
    assert fits.status_code == 201
