"""Hostile inputs to the streams get a clear answer, never silence or a dropped connection:
WebSocket frames that are not JSON text, event ids beyond what the project gave, deleting a
project while its streams are open. Each against a real server; none of them writes anything."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedError

from tests.server_process import ServerProcess
from tests.sse_reader import frames


def _project(server: ServerProcess) -> str:
    response = httpx.post(f"{server.url}/api/projects", json={"prompt": "a todo API"}, timeout=10)
    assert response.status_code == 201, response.text
    project_id: str = response.json()["project"]["id"]
    return project_id


def _ws_url(server: ServerProcess, project_id: str, query: str = "") -> str:
    return server.url.replace("http://", "ws://") + f"/api/ws/{project_id}{query}"


def _versions(server: ServerProcess, project_id: str) -> list[int]:
    url = f"{server.url}/api/projects/{project_id}/versions"
    return [v["number"] for v in httpx.get(url, timeout=10).json()["versions"]]


async def _control_frames(ws: ClientConnection) -> list[dict[str, Any]]:
    """Every frame without a seq (acks, errors) until the server closes the connection."""
    found: list[dict[str, Any]] = []
    with contextlib.suppress(ConnectionClosedError):  # raised for close codes other than 1000
        async for raw in ws:
            message = json.loads(raw)
            if "seq" not in message and message["type"] != "ping":
                found.append(message)
    return found


@pytest.mark.parametrize(
    "frame, close_code, error_code",
    [
        ("not json", 1007, "invalid_json"),
        ("{'action': 'cancel'}", 1007, "invalid_json"),
        ("[" * 100_000, 1007, "invalid_json"),
        (b'{"action": "cancel"}', 1003, "unsupported_frame"),
    ],
    ids=["text", "python-dict", "deep-nesting", "binary"],
)
async def test_a_frame_that_is_not_json_text_closes_with_a_code_and_reason(
    live_server: ServerProcess, frame: str | bytes, close_code: int, error_code: str
) -> None:
    pid = _project(live_server)
    async with connect(_ws_url(live_server, pid), max_size=None) as ws:
        await ws.send(frame)
        errors = await asyncio.wait_for(_control_frames(ws), 10)
    assert [e["code"] for e in errors] == [error_code]
    assert ws.close_code == close_code
    assert ws.close_reason and ws.close_reason == errors[0]["message"]
    assert _versions(live_server, pid) == [1]


@pytest.mark.parametrize("frame", ['{"action": "dance"}', "[1, 2]", "null", '"prompt"'])
async def test_json_that_is_not_an_action_gets_an_error_frame_and_the_socket_stays_open(
    live_server: ServerProcess, frame: str
) -> None:
    pid = _project(live_server)
    async with connect(_ws_url(live_server, pid)) as ws:
        await ws.send(frame)
        while (message := json.loads(await ws.recv()))["type"] != "error" or "seq" in message:
            pass
        assert message["code"] == "unknown_action"
        await ws.send(json.dumps({"action": "cancel"}))
        while (message := json.loads(await ws.recv()))["type"] != "ack":
            pass
        assert isinstance(message["cancelled"], bool)
    assert _versions(live_server, pid) == [1]


async def test_a_malformed_event_id_closes_the_websocket_1008_with_the_reason(
    live_server: ServerProcess,
) -> None:
    pid = _project(live_server)
    async with connect(_ws_url(live_server, pid, "?last_event_id=1e30")) as ws:
        errors = await asyncio.wait_for(_control_frames(ws), 10)
    assert [e["code"] for e in errors] == ["bad_event_id"]
    assert ws.close_code == 1008 and "1e30" in (ws.close_reason or "")


async def _first_event(server: ServerProcess, project_id: str, last_id: int) -> dict[str, Any]:
    async for frame in frames(server.url, project_id, last_id, timeout=10):
        return {"id": frame.id, "event": frame.event, **frame.data}
    raise AssertionError("the stream ended without an event")


@pytest.mark.parametrize("beyond", [10**6, 10**18 - 1])
async def test_an_event_id_beyond_the_project_gets_a_snapshot_then_live_events(
    live_server: ServerProcess, beyond: int
) -> None:
    pid = _project(live_server)
    async for frame in frames(live_server.url, pid, timeout=30):
        if frame.event == "version:complete":
            newest = frame.id
            break
    sse = await asyncio.wait_for(_first_event(live_server, pid, beyond), 10)
    assert sse["event"] == "snapshot" and sse["id"] == newest
    assert sse["version"]["number"] == 1 and "app/main.py" in sse["files"]
    query = f"?last_event_id={beyond}"
    async with connect(_ws_url(live_server, pid, query), max_size=None) as ws:
        snapshot = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert snapshot["type"] == "snapshot" and snapshot["seq"] == newest
        # The stream goes on from the snapshot: the next version's events arrive.
        await ws.send(json.dumps({"action": "prompt", "prompt": "add a due date"}))
        while (message := json.loads(await asyncio.wait_for(ws.recv(), 30)))["type"] != (
            "version:start"
        ):
            pass
        assert message["seq"] > newest and message["version_number"] == 2


async def _read_sse_until_eof(server: ServerProcess, project_id: str) -> list[str]:
    events: list[str] = []
    async for frame in frames(server.url, project_id, timeout=20):
        events.append(frame.event)
    return events


async def test_deleting_a_project_ends_its_open_streams(live_server: ServerProcess) -> None:
    pid = _project(live_server)
    async with connect(_ws_url(live_server, pid), max_size=None) as ws:
        sse = asyncio.create_task(_read_sse_until_eof(live_server, pid))
        while json.loads(await asyncio.wait_for(ws.recv(), 30))["type"] != "version:complete":
            pass
        await asyncio.sleep(0.3)  # the SSE stream is open and replayed too
        async with httpx.AsyncClient() as client:
            response = await client.delete(f"{live_server.url}/api/projects/{pid}")
            assert response.status_code == 204
        seen: list[dict[str, Any]] = []
        async for raw in ws:
            seen.append(json.loads(raw))
        assert seen[-1]["type"] == "project:deleted" and seen[-1]["project_id"] == pid
        assert ws.close_code == 1000 and ws.close_reason == "project deleted"
        sse_events = await asyncio.wait_for(sse, 10)
    assert sse_events[-1] == "project:deleted" and "version:complete" in sse_events
    # A stream opened afterwards is refused, as for any unknown project.
    response = httpx.get(f"{live_server.url}/api/stream/{pid}", timeout=10)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "path", ["%2e%2e/api/projects", "a/%2E%2E/%2e%2e/api/projects", "a/%2e/b", "a/..%5C..%5Capi"]
)
def test_a_preview_path_that_climbs_out_is_refused(live_server: ServerProcess, path: str) -> None:
    # The project must be the caller's own: anyone else's (or an unknown id) is a 404 first.
    created = httpx.post(
        f"{live_server.url}/api/projects", json={"prompt": "a todo API"}, timeout=30
    )
    project_id = created.json()["project"]["id"]
    # httpx keeps the encoded dots as sent; the route sees them decoded.
    response = httpx.get(f"{live_server.url}/preview/{project_id}/{path}", timeout=10)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "path_outside_preview"
