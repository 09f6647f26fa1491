"""The WebSocket carries the same events and takes prompt/cancel actions; the CLI end to end."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from tests.cli_runner import run_cli
from tests.server_process import ServerProcess
from tests.sse_reader import read_until_terminal

PROMPT = "a recipes API with recipes (name, cook time in minutes, difficulty (easy, medium, hard))"


async def test_websocket_events_and_actions(live_server: ServerProcess) -> None:
    created = httpx.post(f"{live_server.url}/api/projects", json={"prompt": PROMPT}).json()
    pid = created["project"]["id"]
    sse = await read_until_terminal(live_server.url, pid, 1)
    ws_url = live_server.url.replace("http://", "ws://") + f"/api/ws/{pid}"
    async with connect(ws_url) as ws:
        received: list[dict[str, object]] = []
        while not received or received[-1]["type"] != "version:complete":
            message = json.loads(await ws.recv())
            if "seq" in message:
                received.append(message)
        assert [m["seq"] for m in received] == [f.id for f in sse]
        await ws.send(json.dumps({"action": "prompt", "prompt": "add a health endpoint"}))
        ack = None
        v2: list[dict[str, object]] = []
        while not v2 or v2[-1]["type"] not in {"version:complete", "error"}:
            message = json.loads(await ws.recv())
            if message["type"] == "ack":
                ack = message
            elif "seq" in message:
                v2.append(message)
        assert ack is not None and ack["version"]["number"] == 2
        assert v2[0]["type"] == "version:start" and v2[-1]["type"] == "version:complete"
        await ws.send(json.dumps({"action": "dance"}))
        while (message := json.loads(await ws.recv()))["type"] == "ping":
            pass
        assert message["type"] == "error" and message["code"] == "unknown_action"


def test_cli_generate_embedded_writes_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("generate", PROMPT, "--out", str(out), data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "v1 complete" in result.stdout
    assert "offline engine" in result.stdout
    assert (out / "app" / "main.py").is_file()
    listed = run_cli("projects", data_dir=tmp_path / "data")
    assert listed.returncode == 0 and "recipes" in listed.stdout.lower()


async def test_cli_against_running_server(live_server: ServerProcess, tmp_path: Path) -> None:
    created = httpx.post(f"{live_server.url}/api/projects", json={"prompt": PROMPT}).json()
    pid = created["project"]["id"]
    await read_until_terminal(live_server.url, pid, 1)
    result = run_cli(
        "iterate", pid, "add pagination", "--server", live_server.url, data_dir=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    versions = run_cli("versions", pid, "--server", live_server.url, data_dir=tmp_path)
    assert "v2" in versions.stdout and "complete" in versions.stdout
    missing = run_cli("versions", "nope", "--server", live_server.url, data_dir=tmp_path)
    assert missing.returncode == 1 and "not_found" in missing.stdout
