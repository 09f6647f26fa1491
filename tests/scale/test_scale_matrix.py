"""Two API processes and two workers (scripts/cluster.sh's `Cluster`): a project created on A,
streamed from B, iterated from B and stopped from A replays the same on A and B, and a client
that reconnects at random, alternating between them, gets every event once and in order."""

from __future__ import annotations

import asyncio
import os
import random
from contextlib import aclosing

import httpx
import pytest

from apiforge.cluster import Member
from tests.scale.conftest import MakeCluster, create_project
from tests.sse_reader import TERMINAL, Frame, frames, read_through, read_until_terminal

pytestmark = [pytest.mark.scale, pytest.mark.slow]

# The issue asks for 1,000: ten at a time they cost ~3 s here, so `make test` runs them all.
RECONNECTS = int(os.environ.get("APIFORGE_TEST_RECONNECTS", "1000"))


async def read_exactly(
    member: Member,
    project_id: str,
    count: int,
    last: int | None,
    client: httpx.AsyncClient | None = None,
) -> list[Frame]:
    """``count`` frames after ``last``, on a new request that is closed at once after."""
    collected: list[Frame] = []
    async with aclosing(frames(member.url, project_id, last, client=client)) as stream:
        async for frame in stream:
            collected.append(frame)
            if len(collected) == count:
                break
    return collected


async def reconnect_at_random(
    servers: tuple[Member, Member], project_id: str, replay: list[Frame], rng: random.Random
) -> int:
    """RECONNECTS clients, ten at a time, each resuming at a random point of the history on
    the servers in turn: each must get exactly what follows; how many did."""
    done = 0

    async def one(client: httpx.AsyncClient, turn: int) -> None:
        nonlocal done
        start = rng.randrange(len(replay))
        count = min(rng.randint(1, 5), len(replay) - start)
        last = replay[start - 1].id if start else 0
        got = await read_exactly(servers[turn % 2], project_id, count, last, client)
        assert got == replay[start : start + count], (turn, start)
        done += 1

    async with httpx.AsyncClient(timeout=30) as client:
        for wave in range(0, RECONNECTS, 10):
            turns = range(wave, min(wave + 10, RECONNECTS))
            await asyncio.gather(*(one(client, turn) for turn in turns))
    return done


async def follow_alternating(
    servers: tuple[Member, Member], project_id: str, version: int, rng: random.Random
) -> tuple[list[Frame], int]:
    """A live client that drops its stream every 1-3 events and resumes on the other server
    with Last-Event-ID, until the version ends; what it saw, and how many reconnects."""
    seen: list[Frame] = []
    turns = 0
    async with httpx.AsyncClient(timeout=30) as client:
        while not seen or not (
            seen[-1].event in TERMINAL and seen[-1].data["version_number"] == version
        ):
            last = seen[-1].id if seen else None
            count = rng.randint(1, 3)
            seen += await read_exactly(servers[turns % 2], project_id, count, last, client)
            turns += 1
    return seen, turns


async def test_two_api_processes_two_workers(make_cluster: MakeCluster) -> None:
    cluster = make_cluster(2, 2, delay_ms="20")
    a, b = cluster.apis
    rng = random.Random(15)
    pid, _ = create_project(a)
    first, live_reconnects = await follow_alternating((b, a), pid, 1, rng)
    assert first[-1].event == "version:complete"
    answer = httpx.post(
        f"{b.url}/api/projects/{pid}/versions", json={"prompt": "add tags"}, timeout=10
    )
    assert answer.status_code == 202, answer.text
    await read_through(b.url, pid, "file:complete", first[-1].id)
    assert httpx.post(f"{a.url}/api/projects/{pid}/cancel", timeout=10).json() == {
        "cancelled": True
    }
    second = await read_until_terminal(a.url, pid, 2, first[-1].id)
    assert second[-1].event == "cancelled"
    replay_a = await read_until_terminal(a.url, pid, 2, 0)
    replay_b = await read_until_terminal(b.url, pid, 2, 0)
    assert replay_a == replay_b == first + second
    assert [f.id for f in replay_a] == sorted({f.id for f in replay_a})
    # Reconnects anywhere in the history, alternating servers: each gets exactly what follows.
    assert await reconnect_at_random((a, b), pid, replay_a, rng) == RECONNECTS
    assert live_reconnects > 20
