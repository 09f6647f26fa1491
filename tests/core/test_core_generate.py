"""``POST /api/generate``: one request per generation, answered once it ended (completed or
failed), 504 naming the version when the wait runs out, or streamed as SSE (real servers)."""

from __future__ import annotations

import httpx
import pytest

from apiforge.client import ApiforgeClient
from apiforge.errors import ConflictError, GenerationTimeout
from tests.server_process import ServerProcess
from tests.sse_reader import read_until_terminal

PROMPT = "a garden API with plants (name, species, watered on) and beds (name)"


async def test_answers_once_the_generation_ended(live_server: ServerProcess) -> None:
    async with ApiforgeClient(live_server.url) as client:
        first = await client.generate(PROMPT)
        pid = first.project.id
        assert (first.version.number, first.version.status) == (1, "complete")
        assert first.files == await client.files(pid, 1) and "app/main.py" in first.files
        follow_up = await client.generate("add a health endpoint", project_id=pid)
        assert (follow_up.project.id, follow_up.version.number) == (pid, 2)
        assert follow_up.version.status == "complete"
        assert follow_up.project.latest_version == follow_up.version
        assert follow_up.files == await client.files(pid, 2) and follow_up.files != first.files


async def test_a_failed_generation_is_an_answer(live_server: ServerProcess) -> None:
    # The offline engine refuses a prompt that asks for no API: the version fails.
    answer = httpx.post(
        f"{live_server.url}/api/generate", json={"prompt": "hello there, how are you?"}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    version = answer.json()["version"]
    assert version["status"] == "failed" and version["error"]
    assert version["validation"] is None and answer.json()["files"] == {}


async def test_504_names_the_version_which_goes_on(slow_server: ServerProcess) -> None:
    url = f"{slow_server.url}/api/generate"
    answer = httpx.post(url, params={"wait_s": 0.3}, json={"prompt": PROMPT}, timeout=30)
    assert answer.status_code == 504, answer.text
    body = answer.json()
    assert body["error"]["code"] == "generation_timeout"
    version = body["version"]
    assert version["number"] == 1 and version["id"] and version["status"] == "generating"
    async with ApiforgeClient(slow_server.url) as client:
        pid = version["project_id"]
        with pytest.raises(ConflictError):  # one generation per project: the first goes on
            await client.generate("add tags", project_id=pid)
        assert (await client.version(pid, 1)).status == "generating"
        await client.cancel(pid)
        with pytest.raises(GenerationTimeout) as timed_out:
            await client.generate(PROMPT, wait_s=0.2)
        assert timed_out.value.version_number == 1
        await client.cancel(timed_out.value.project_id)


async def test_streams_the_generation_as_sse(live_server: ServerProcess) -> None:
    async with ApiforgeClient(live_server.url) as client:
        events = [event async for event in client.generate_events(PROMPT)]
    assert events[0].type == "version:start" and events[-1].type == "version:complete"
    pid = events[0].project_id
    assert {event.version_number for event in events} == {1}
    replay = await read_until_terminal(live_server.url, pid, 1)
    assert [event.seq for event in events] == [frame.id for frame in replay]
