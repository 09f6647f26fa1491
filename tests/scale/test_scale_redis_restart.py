"""Redis restarted mid-generation in the scale-out layout (two API processes and a worker, a
private redis-server: the shared one is never stopped). The generation goes on, its events in
the log; a client of each API process streams the project, its stream ends and resumes with
Last-Event-ID until Redis is back, and each sees exactly the replay; then new subscribers of
both stream live again. (Each API process has its own reader of the project's stream.)"""

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
    started = Cluster(tmp_path / "cluster", 2, 1, env=env)
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
    urls = [api.url for api in cluster.apis]
    pid, _ = create_project(urls[0])
    seen: list[list[Frame]] = [[], []]
    ends: list[list[int]] = [[], []]
    clients = [follow_resuming(url, pid, seen[i], ends[i]) for i, url in enumerate(urls)]
    streaming = asyncio.gather(*clients)
    await asyncio.wait_for(asyncio.gather(*(wait_for(s, "file:complete") for s in seen)), 30)
    private_redis.stop()
    down_from = time.time()
    await asyncio.sleep(REDIS_DOWN_S)
    down_until = time.time()
    private_redis.start()
    await asyncio.wait_for(streaming, 60)
    replay = await read_until_terminal(urls[0], pid, 1)
    assert [f.id for f in replay] == sorted({f.id for f in replay}), "a gap or a duplicate"
    for url, frames_seen, stream_ends in zip(urls, seen, ends, strict=True):
        assert frames_seen[-1].event == "version:complete", (url, frames_seen[-1])
        # The stream did end while Redis was away (the client resumed) ...
        assert stream_ends, f"{url}: the stream never ended: Redis was not what it read"
        # What the client saw across its reconnects is exactly the log's replay.
        assert [(f.id, f.event, f.data) for f in frames_seen] == [
            (f.id, f.event, f.data) for f in replay
        ], url
    # ... and the generation went on: the worker emitted events while Redis was away.
    assert any(down_from < frame.data["ts"] < down_until for frame in replay)
    assert await read_until_terminal(urls[1], pid, 1) == replay
    await streams_live_after(urls, pid, replay[-1].id)


async def streams_live_after(urls: list[str], pid: str, last_id: int) -> None:
    """Redis back: a new subscriber of each API process gets the next generation live, in one
    connection."""
    live: list[list[Frame]] = [[], []]
    live_ends: list[list[int]] = [[], []]
    subscribers = [
        follow_resuming(url, pid, live[i], live_ends[i], last_id) for i, url in enumerate(urls)
    ]
    following = asyncio.gather(*subscribers)
    await asyncio.sleep(0.5)
    answer = httpx.post(
        f"{urls[1]}/api/projects/{pid}/versions", json={"prompt": "add tags to books"}, timeout=10
    )
    assert answer.status_code == 202, answer.text
    await asyncio.wait_for(following, 60)
    for url, frames_live, stream_ends in zip(urls, live, live_ends, strict=True):
        assert frames_live[-1].event == "version:complete", (url, frames_live[-1])
        assert not stream_ends, f"{url}: the live stream ended after Redis was back"
        assert frames_live[0].event == "version:start", (url, frames_live[0])
        assert frames_live[0].data["version_number"] == frames_live[-1].data["version_number"] == 2
    assert [f.id for f in live[0]] == [f.id for f in live[1]]
