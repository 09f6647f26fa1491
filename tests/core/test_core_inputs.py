"""Bad inputs get a clean 4xx in the error shape and write nothing: numbers beyond 64 bits,
prompts the schema forbids, event ids out of range, methods a path does not take."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.server_process import ServerProcess

TOO_BIG = str(2**63)


def _project(server: ServerProcess) -> str:
    response = httpx.post(f"{server.url}/api/projects", json={"prompt": "a todo API"}, timeout=10)
    assert response.status_code == 201, response.text
    project_id: str = response.json()["project"]["id"]
    return project_id


def _assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    "method, suffix",
    [
        ("GET", f"versions/{TOO_BIG}"),
        ("GET", f"versions/{TOO_BIG}/files"),
        ("GET", f"versions/{TOO_BIG}/files/app.py"),
        ("GET", f"versions/1/diff?against={TOO_BIG}"),
        ("GET", f"versions/{TOO_BIG}/archive.zip"),
        ("GET", f"versions/{TOO_BIG}/preview"),
        ("POST", f"versions/{TOO_BIG}/restore"),
        ("POST", f"versions/{TOO_BIG}/fork"),
        ("POST", f"versions/{TOO_BIG}/regenerate"),
        ("GET", "versions/0"),
    ],
)
def test_version_numbers_out_of_range_are_refused(
    live_server: ServerProcess, method: str, suffix: str
) -> None:
    pid = _project(live_server)
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        _assert_error(client.request(method, f"/api/projects/{pid}/{suffix}"), 422, "invalid_input")
        # The same keep-alive connection still serves the next request.
        assert client.get("/api/health").status_code == 200
        assert [
            v["number"] for v in client.get(f"/api/projects/{pid}/versions").json()["versions"]
        ] == [1]


@pytest.mark.parametrize("bad", [TOO_BIG, "1e30", "-1", "12345678901234567890"])
async def test_event_ids_out_of_range_are_refused(live_server: ServerProcess, bad: str) -> None:
    pid = _project(live_server)
    url = f"{live_server.url}/api/stream/{pid}"
    _assert_error(httpx.get(url, headers={"Last-Event-ID": bad}), 422, "bad_event_id")
    _assert_error(httpx.get(url, params={"last_event_id": bad}), 422, "bad_event_id")
    # A good header does not hide a malformed query (schemathesis found this one).
    both = httpx.get(url, headers={"Last-Event-ID": "1"}, params={"last_event_id": bad})
    _assert_error(both, 422, "bad_event_id")
    ws_url = live_server.url.replace("http://", "ws://") + f"/api/ws/{pid}?last_event_id={bad}"
    async with connect(ws_url) as ws:
        message = json.loads(await ws.recv())
        assert message["type"] == "error" and message["code"] == "bad_event_id"
        await ws.wait_closed()
    assert ws.close_code == 1008


@pytest.mark.parametrize(
    "body, code",
    [
        ('{"prompt": ""}', "empty_prompt"),
        ('{"prompt": " \\t\\n\\u3000"}', "empty_prompt"),
        ('{"prompt": "a todo API\\u000b"}', "control_characters"),
        ('{"prompt": "a todo API \\ud800"}', "invalid_characters"),
        ('{"prompt": "a todo API", "name": "\\udfff"}', "invalid_characters"),
    ],
)
def test_prompts_the_schema_forbids_are_refused(
    live_server: ServerProcess, body: str, code: str
) -> None:
    before = httpx.get(f"{live_server.url}/api/projects").json()["projects"]
    headers = {"content-type": "application/json"}
    response = httpx.post(f"{live_server.url}/api/projects", content=body, headers=headers)
    _assert_error(response, 422, code)
    assert httpx.get(f"{live_server.url}/api/projects").json()["projects"] == before


def test_a_prompt_is_measured_as_sent(live_server: ServerProcess) -> None:
    padded = "  " + "x" * 7999  # 8001 characters, 7999 once stripped: the document says 8000
    response = httpx.post(f"{live_server.url}/api/projects", json={"prompt": padded})
    _assert_error(response, 422, "prompt_too_long")


async def test_websocket_refuses_a_lone_surrogate(live_server: ServerProcess) -> None:
    pid = _project(live_server)
    ws_url = live_server.url.replace("http://", "ws://") + f"/api/ws/{pid}"
    async with connect(ws_url) as ws:
        await ws.send('{"action": "prompt", "prompt": "add \\ud800 pagination"}')
        while (message := json.loads(await ws.recv()))["type"] != "error" or "seq" in message:
            pass
        assert message["code"] == "invalid_characters"
        # The connection stays usable.
        await ws.send(json.dumps({"action": "cancel"}))
        while (message := json.loads(await ws.recv()))["type"] != "ack":
            pass


def test_405_lists_every_method_of_the_path(live_server: ServerProcess) -> None:
    response = httpx.request("PUT", f"{live_server.url}/api/projects")
    _assert_error(response, 405, "method_not_allowed")
    assert {"GET", "POST"} <= set(response.headers["allow"].split(", "))
