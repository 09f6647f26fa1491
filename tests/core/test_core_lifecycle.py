"""Starting and stopping: the address is announced once it answers; SIGTERM with streams open
exits promptly, loses nothing a client saw, and the interrupted generation resumes at the next
start; a stopped CLI cancels its generation and flushes the log."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from apiforge.ports import free_port
from tests.cli_runner import start_cli
from tests.server_process import ServerProcess
from tests.sse_reader import frames, read_until_terminal

PROMPT = "a library API with books (title, author, year) and members (name, email)"
EXIT_BOUND_S = 5.0  # the bound for a stop with streams open
SEEN_BEFORE_STOP = 15


async def sse_client(url: str, pid: str, seen: list[tuple[int, str]]) -> None:
    async for frame in frames(url, pid, last_event_id=0):
        seen.append((frame.id, frame.event))


async def ws_client(url: str, pid: str, seen: list[tuple[int, str]]) -> int | None:
    """Records events until the server closes the socket; returns the close code."""
    ws_url = url.replace("http://", "ws://") + f"/api/ws/{pid}?last_event_id=0"
    async with connect(ws_url) as ws:
        try:
            async for raw in ws:
                message = json.loads(raw)
                if "seq" in message:
                    seen.append((message["seq"], message["type"]))
        except ConnectionClosed:
            pass
        return ws.close_code


async def wait_until_each_saw(views: list[list[tuple[int, str]]], count: int) -> None:
    for _ in range(600):
        if all(len(v) >= count for v in views):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"clients saw {[len(v) for v in views]} events, wanted {count} each")


def version_status(server: ServerProcess, pid: str) -> str:
    response = httpx.get(f"{server.url}/api/projects/{pid}/versions/1", timeout=10)
    return str(response.json()["version"]["status"])


def test_serving_line_appears_once_the_url_answers(tmp_path: Path) -> None:
    cli = start_cli("serve", "--port", str(free_port()), data_dir=tmp_path / "data")
    try:
        assert cli.stdout is not None
        for line in cli.stdout:
            if "serving at" in line:
                break
        else:
            raise AssertionError("the server exited without saying where it serves")
        url = line.split("serving at", 1)[1].strip()
        # No retry: the line is printed only once the socket accepts and start-up is done.
        assert httpx.get(f"{url}/api/health", timeout=5).status_code == 200
    finally:
        cli.send_signal(signal.SIGTERM)
        cli.communicate(timeout=15)


async def test_sigterm_with_streams_open_exits_fast_and_keeps_what_clients_saw(
    own_server: ServerProcess,
) -> None:
    own_server.env["APIFORGE_ENGINE_DELAY_MS"] = "20"
    own_server.start()
    created = httpx.post(f"{own_server.url}/api/projects", json={"prompt": PROMPT}, timeout=10)
    pid = created.json()["project"]["id"]
    views: list[list[tuple[int, str]]] = [[], [], []]
    clients = [
        asyncio.create_task(sse_client(own_server.url, pid, views[0])),
        asyncio.create_task(sse_client(own_server.url, pid, views[1])),
        asyncio.create_task(ws_client(own_server.url, pid, views[2])),
    ]
    await wait_until_each_saw(views, SEEN_BEFORE_STOP)

    started = time.monotonic()
    await asyncio.to_thread(own_server.stop)
    elapsed = time.monotonic() - started
    assert elapsed < EXIT_BOUND_S, f"SIGTERM took {elapsed:.1f} s with 3 streams open"
    # The server closed every stream itself: the readers end without any help.
    outcomes = await asyncio.wait_for(asyncio.gather(*clients, return_exceptions=True), 5)
    assert outcomes[2] == 1012, outcomes
    assert all(v[-1][1] not in {"version:complete", "error"} for v in views), "ended too soon"

    own_server.start()
    logged = await read_until_terminal(own_server.url, pid, 1, last_event_id=0)
    log = {f.id: f.event for f in logged}
    for view in views:
        missing = [(seq, kind) for seq, kind in view if log.get(seq) != kind]
        assert not missing, f"seen by a client but not in the log: {missing[:5]}"
    assert logged[-1].event == "version:complete"
    assert version_status(own_server, pid) == "complete"
    resumed = [f for f in logged if f.id > max(seq for view in views for seq, _ in view)]
    assert any(f.event == "step:start" for f in resumed), "the resumed step announces itself"


def sigterm_after(cli: subprocess.Popen[str], delay_s: float) -> tuple[float, str]:
    """Seconds from SIGTERM to exit, and everything the command printed."""
    time.sleep(delay_s)
    started = time.monotonic()
    cli.send_signal(signal.SIGTERM)
    try:
        output, _ = cli.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        cli.kill()
        raise
    return time.monotonic() - started, output


async def test_embedded_generate_stops_on_sigterm_and_flushes(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    cli = start_cli("generate", PROMPT, data_dir=data_dir, env={"APIFORGE_ENGINE_DELAY_MS": "20"})
    assert cli.stdout is not None
    # Printed once the project exists and its generation runs (the slow engine takes ~10 s);
    # the line before it says the command runs its own server.
    assert "running one inside this command" in cli.stdout.readline()
    assert "offline engine" in cli.stdout.readline()
    elapsed, output = await asyncio.to_thread(sigterm_after, cli, 1.0)
    assert elapsed < EXIT_BOUND_S, f"SIGTERM took {elapsed:.1f} s:\n{output}"
    assert cli.returncode == 143, output
    assert "Cancelled v1" in output, output

    server = ServerProcess(data_dir)
    server.start()
    try:
        pid = httpx.get(f"{server.url}/api/projects", timeout=10).json()["projects"][0]["id"]
        logged = await read_until_terminal(server.url, pid, 1, last_event_id=0)
        status = version_status(server, pid)
    finally:
        server.stop()
    # The last events before exit were still in the log's write batch: they were flushed.
    assert logged[-1].event == "cancelled", [f.event for f in logged[-5:]]
    assert status == "cancelled"


def test_serving_on_every_address_names_one_to_open(tmp_path: Path) -> None:
    env = {"APIFORGE_AUTH": "password"}  # local mode refuses a wildcard bind
    args = ("serve", "--host", "0.0.0.0", "--port", str(free_port()))
    cli = start_cli(*args, data_dir=tmp_path / "data", env=env)
    try:
        assert cli.stdout is not None
        line = next((line for line in cli.stdout if "serving at" in line), "")
        url = line.split("serving at", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:"), line
        assert httpx.get(f"{url}/api/health", timeout=5).status_code == 200
        assert "every address of this machine" in next(cli.stdout)
    finally:
        cli.send_signal(signal.SIGTERM)
        cli.communicate(timeout=15)
