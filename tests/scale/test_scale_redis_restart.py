"""Redis restarted mid-generation in the scale-out layout (an API process and a worker, a
private redis-server: the shared one is never stopped). The generation goes on, its events in
the log; a client's stream ends and resumes with Last-Event-ID until Redis is back, seeing
exactly the replay; then a new subscriber streams live again."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apiforge.cluster import Cluster
from tests.scale.conftest import ENGINE_DELAY_MS, Deployment, create_project
from tests.scale.private_redis import PrivateRedis
from tests.scale.test_scale_failover import wait_for
from tests.sse_reader import TERMINAL, Frame, frames, read_until_terminal

pytestmark = [pytest.mark.scale, pytest.mark.slow]

REDIS_DOWN_S = 2.0


@pytest.fixture
def cluster(
    tmp_path: Path, deployment: Deployment, private_redis: PrivateRedis
) -> Iterator[Cluster]:
    env = {
        **deployment.env(bus="redis", redis_url=private_redis.url),
        "APIFORGE_VALIDATOR": "none",
        "APIFORGE_ENGINE_DELAY_MS": ENGINE_DELAY_MS,
    }
    started = Cluster(tmp_path / "cluster", 1, 1, env=env)
    try:
        started.start(90)
        yield started
    finally:
        started.stop(signal.SIGKILL)


async def follow_resuming(
    url: str, project_id: str, into: list[Frame], ends: list[int], last: int | None = None
) -> None:
    """An EventSource: stream until the version's end; each time the stream ends before it,
    note where (``ends``) and reconnect with the last id seen."""
    while True:
        last = into[-1].id if into else last
        async for frame in frames(url, project_id, last):
            into.append(frame)
            if frame.event in TERMINAL:
                return
        ends.append(len(into))
        await asyncio.sleep(0.2)


async def test_redis_restarted_mid_generation_loses_nothing_and_streams_live_after(
    cluster: Cluster, private_redis: PrivateRedis
) -> None:
    api = cluster.apis[0]
    pid, _ = create_project(api.url)
    seen: list[Frame] = []
    ends: list[int] = []
    client = asyncio.create_task(follow_resuming(api.url, pid, seen, ends))
    await asyncio.wait_for(wait_for(seen, "file:complete"), 30)
    private_redis.stop()
    down_from = time.time()
    await asyncio.sleep(REDIS_DOWN_S)
    down_until = time.time()
    private_redis.start()
    await asyncio.wait_for(client, 60)
    assert seen[-1].event == "version:complete", seen[-1]
    # The stream did end while Redis was away (the client resumed) ...
    assert ends, "the stream never ended: Redis was not what it read"
    # ... and the generation went on: the worker emitted events while Redis was away.
    assert any(down_from < frame.data["ts"] < down_until for frame in seen)
    # What the client saw across its reconnects is exactly the log's replay.
    replay = await read_until_terminal(api.url, pid, 1)
    assert [(f.id, f.event, f.data) for f in seen] == [(f.id, f.event, f.data) for f in replay]
    assert [f.id for f in replay] == sorted({f.id for f in replay}), "a gap or a duplicate"
    # Redis back: a new subscriber gets the next generation live, in one connection.
    live: list[Frame] = []
    live_ends: list[int] = []
    subscriber = asyncio.create_task(follow_resuming(api.url, pid, live, live_ends, seen[-1].id))
    await asyncio.sleep(0.5)
    started = time.monotonic()
    answer = httpx.post(
        f"{api.url}/api/projects/{pid}/versions", json={"prompt": "add tags to books"}, timeout=10
    )
    assert answer.status_code == 202, answer.text
    await asyncio.wait_for(subscriber, 60)
    assert live[-1].event == "version:complete", live[-1]
    assert not live_ends, f"the live stream ended {len(live_ends)} time(s) after Redis was back"
    assert live[0].event == "version:start", live[0]
    assert live[0].data["version_number"] == live[-1].data["version_number"] == 2
    assert time.monotonic() - started < 60
