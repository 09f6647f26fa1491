"""The event stream of a generation over real HTTP: sequence, replay, resume."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

from tests.server_process import ServerProcess
from tests.sse_reader import Frame, frames, read_n, read_until_terminal

PROMPT = "a bookstore API with books (title, price) and authors (name), with pagination"


def create(server: ServerProcess, prompt: str = PROMPT) -> dict[str, object]:
    response = httpx.post(f"{server.url}/api/projects", json={"prompt": prompt}, timeout=10)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def project_id_of(created: dict[str, object]) -> str:
    project = created["project"]
    assert isinstance(project, dict)
    return str(project["id"])


def check_generation(events: list[Frame]) -> None:
    """The contract every complete generation keeps."""
    types = [f.event for f in events]
    assert types[0] == "version:start"
    assert types[-1] == "version:complete"
    seqs = [f.id for f in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert all(f.data["seq"] == f.id and f.data["type"] == f.event for f in events)
    steps = [f.data["step"] for f in events if f.event == "step:start"]
    assert steps[:2] == ["planning", "generating"] and steps[-1] == "complete"
    streamed: dict[str, str] = {}
    for frame in events:
        if frame.event == "code:chunk":
            path = frame.data["path"]
            assert frame.data["offset"] == len(streamed.get(path, ""))
            streamed[path] = streamed.get(path, "") + frame.data["chunk"]
        if frame.event == "file:complete" and frame.data["operation"] != "deleted":
            assert streamed.get(frame.data["path"], "") == frame.data["content"]
    assert types.index("file:generating") < types.index("code:chunk") < types.index("file:complete")


def check_offline_call(events: list[Frame]) -> None:
    """The offline engine is a provider too: one call, after the last file, with what it reports
    (no tokens: it runs no model) and its real timing."""
    types = [f.event for f in events]
    (call,) = [f.data for f in events if f.event == "provider:call"]
    assert {k: call[k] for k in ("round", "call", "provider", "model", "outcome")} == {
        "round": 0,
        "call": 0,
        "provider": "offline",
        "model": None,
        "outcome": "ok",
    }
    assert call["prompt_tokens"] == call["completion_tokens"] == 0
    assert 0 <= call["first_token_ms"] <= call["duration_ms"]
    last_file = len(types) - 1 - types[::-1].index("file:complete")
    assert last_file < types.index("provider:call") < types.index("version:complete")


async def test_full_event_sequence(live_server: ServerProcess) -> None:
    created = create(live_server)
    pid = project_id_of(created)
    events = await read_until_terminal(live_server.url, pid, 1)
    check_generation(events)
    check_offline_call(events)
    files = httpx.get(f"{live_server.url}/api/projects/{pid}/versions/1/files").json()["files"]
    completed = {f.data["path"]: f.data["content"] for f in events if f.event == "file:complete"}
    assert files == completed
    version = httpx.get(f"{live_server.url}/api/projects/{pid}/versions/1").json()["version"]
    assert version["status"] == "complete" and version["files_changed"] == len(files)
    assert version["completed_at"] and version["summary"]


async def test_replay_without_id_rebuilds_latest_generation(live_server: ServerProcess) -> None:
    pid = project_id_of(create(live_server))
    first = await read_until_terminal(live_server.url, pid, 1)
    again = await read_until_terminal(live_server.url, pid, 1)
    assert [f.id for f in again] == [f.id for f in first]
    httpx.post(
        f"{live_server.url}/api/projects/{pid}/versions", json={"prompt": "add a health endpoint"}
    )
    second = await read_until_terminal(live_server.url, pid, 2)
    assert second[0].event == "version:start" and second[0].data["version_number"] == 2
    assert second[0].id > first[-1].id


async def test_resume_from_any_point_gives_exact_rest(live_server: ServerProcess) -> None:
    pid = project_id_of(create(live_server))
    full = await read_until_terminal(live_server.url, pid, 1)
    rng = random.Random(7)
    for cut in sorted(rng.sample(range(len(full) - 1), min(25, len(full) - 1))):
        rest = await read_until_terminal(live_server.url, pid, 1, last_event_id=full[cut].id)
        assert [f.id for f in rest] == [f.id for f in full[cut + 1 :]]
        assert [f.data for f in rest] == [f.data for f in full[cut + 1 :]]


async def test_reconnecting_during_live_generation_loses_nothing(
    slow_server: ServerProcess,
) -> None:
    pid = project_id_of(create(slow_server))
    rng = random.Random(11)
    seen: list[Frame] = []
    last: int | None = None
    while not seen or seen[-1].event != "version:complete":
        batch = await read_n(slow_server.url, pid, rng.randint(1, 40), last_event_id=last)
        seen.extend(batch)
        last = seen[-1].id
    full = await read_until_terminal(slow_server.url, pid, 1)
    assert [f.id for f in seen] == [f.id for f in full]
    check_generation(seen)


async def test_stream_headers_and_unknown_project(live_server: ServerProcess) -> None:
    pid = project_id_of(create(live_server))
    async with (
        httpx.AsyncClient() as client,
        client.stream("GET", f"{live_server.url}/api/stream/{pid}") as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
    missing = httpx.get(f"{live_server.url}/api/stream/nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


async def test_last_event_id_query_parameter(live_server: ServerProcess) -> None:
    pid = project_id_of(create(live_server))
    full = await read_until_terminal(live_server.url, pid, 1)
    middle = full[len(full) // 2]
    url = f"{live_server.url}/api/stream/{pid}?last_event_id={middle.id}"
    async with httpx.AsyncClient() as client, client.stream("GET", url) as response:
        async for line in response.aiter_lines():
            if line.startswith("id: "):
                assert int(line[4:]) == full[len(full) // 2 + 1].id
                break


@pytest.mark.parametrize("bad", ["abc", "1.5"])
async def test_bad_last_event_id_is_rejected(live_server: ServerProcess, bad: str) -> None:
    pid = project_id_of(create(live_server))
    response = httpx.get(f"{live_server.url}/api/stream/{pid}", headers={"Last-Event-ID": bad})
    assert response.status_code == 422


async def test_heartbeat_comment(own_server: ServerProcess) -> None:
    own_server.env["APIFORGE_PING_INTERVAL_S"] = "0.2"
    own_server.start()
    pid = project_id_of(create(own_server))
    await read_until_terminal(own_server.url, pid, 1)
    url = f"{own_server.url}/api/stream/{pid}"
    async with httpx.AsyncClient() as client, client.stream("GET", url) as response:
        async for line in response.aiter_lines():
            if line == ": ping":
                break


async def test_trimmed_position_gets_a_snapshot_of_a_running_generation(
    own_server: ServerProcess,
) -> None:
    own_server.env |= {"APIFORGE_EVENT_RETENTION": "10", "APIFORGE_ENGINE_DELAY_MS": "15"}
    own_server.start()
    pid = project_id_of(create(own_server))
    early = await read_n(own_server.url, pid, 3)
    completed: list[Frame] = []
    async for frame in frames(own_server.url, pid, last_event_id=early[-1].id):
        completed += [frame] if frame.event == "file:complete" else []
        if len(completed) == 3:
            break
    await asyncio.sleep(0.3)  # past the flush window: the early events are trimmed by now
    [snapshot] = await read_n(own_server.url, pid, 1, last_event_id=early[-1].id)
    assert snapshot.event == "snapshot"
    assert snapshot.data["step"] in {"planning", "generating"}
    assert snapshot.data["version"]["status"] == "generating"
    for frame in completed:
        assert snapshot.data["files"][frame.data["path"]] == frame.data["content"]
    rest = await read_until_terminal(own_server.url, pid, 1, last_event_id=snapshot.id)
    assert rest[-1].event == "version:complete"
