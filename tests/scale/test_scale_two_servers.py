"""Two server processes on one Postgres and one Redis prefix: a generation run by A streams live
to a client of B, in seq order, and the client reconnecting with Last-Event-ID (to A, then B
again) loses nothing and gets nothing twice."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.scale.conftest import Deployment
from tests.scale.test_scale_postgres import create_project
from tests.server_process import ServerProcess
from tests.sse_reader import TERMINAL, Frame, frames, read_n, read_until_terminal

pytestmark = pytest.mark.scale

FOLLOW_UP = "add loans (book, member, due date)"


def key(frame: Frame) -> tuple[int, str, object]:
    return frame.id, frame.event, frame.data


async def test_events_from_one_server_stream_live_from_the_other(
    deployment: Deployment, servers: Callable[[dict[str, str]], ServerProcess]
) -> None:
    env = deployment.env(bus="redis")
    a, b = servers(env), servers(env)
    a.spawn()
    b.spawn()
    a.wait_until_serving(60)
    b.wait_until_serving(60)
    pid = create_project(a)
    await read_until_terminal(a.url, pid, 1)
    seen_on_b: list[Frame] = []
    async for frame in frames(b.url, pid):
        if frame.event in TERMINAL and frame.data["version_number"] == 1:
            # B's client is subscribed and past the replay: all of version 2 reaches it live,
            # through Redis, from the process that runs the generation.
            async with httpx.AsyncClient() as client:
                answer = await client.post(
                    f"{a.url}/api/projects/{pid}/versions", json={"prompt": FOLLOW_UP}
                )
                assert answer.status_code == 202, answer.text
        elif frame.data["version_number"] == 2:
            seen_on_b.append(frame)
            if len(seen_on_b) == 15:
                break
    assert seen_on_b[0].event == "version:start"
    # The client moves to A (the process running it) and back to B, resuming by id each time.
    on_a = await read_n(a.url, pid, 10, last_event_id=seen_on_b[-1].id)
    rest = await read_until_terminal(b.url, pid, 2, last_event_id=on_a[-1].id)
    on_b = seen_on_b + on_a + rest
    replay_on_a = await read_until_terminal(a.url, pid, 2)
    assert [key(f) for f in on_b] == [key(f) for f in replay_on_a]
    assert on_b[-1].event == "version:complete"
    assert [f.id for f in on_b] == sorted({f.id for f in on_b})
