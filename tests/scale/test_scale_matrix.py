"""Two API processes and two workers started by scripts/cluster.sh: a project created on A,
streamed from B, iterated from B and stopped from A replays the same on A and B, and clients
that reconnect at random, alternating between them, get every event once and in order; then
`cluster.sh stop` ends every process."""

from __future__ import annotations

import asyncio
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import aclosing, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.scale.conftest import Deployment, create_project
from tests.sse_reader import TERMINAL, Frame, frames, read_through, read_until_terminal

pytestmark = [pytest.mark.scale, pytest.mark.slow]

# The issue asks for 1,000: ten at a time they cost ~15 s on the shared 2-core machine (load 9),
# a quarter of this module's budget, so `make test` runs 300 (~5 s) and the full count runs with
# APIFORGE_TEST_RECONNECTS=1000 .venv-dev/bin/pytest tests/scale/test_scale_matrix.py
RECONNECTS = int(os.environ.get("APIFORGE_TEST_RECONNECTS", "300"))
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "cluster.sh"
MEMBER = re.compile(r"^(\S+)  pid (\d+)  (\S+)  log ")
# name → (pid, URL, or "worker"), as the script prints them.
Members = dict[str, tuple[int, str]]


@contextmanager
def cluster_script(env: dict[str, str], *args: str) -> Iterator[Members]:
    """The running script's processes; killed at the end if a test left them running."""
    with subprocess.Popen([SCRIPT, *args], env=env, stdout=subprocess.PIPE, text=True) as runner:
        try:
            assert runner.stdout is not None
            members = {}
            for line in runner.stdout:
                if line.startswith("Ctrl-C"):
                    break
                found = MEMBER.match(line)
                assert found, line
                members[found.group(1)] = (int(found.group(2)), found.group(3))
            yield members
        finally:
            if runner.poll() is None:
                runner.kill()
                subprocess.run([SCRIPT, "stop", *args[-2:]], env=env, check=False)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def ends_version(frame: Frame, version: int) -> bool:
    return frame.event in TERMINAL and frame.data["version_number"] == version


async def read_exactly(
    url: str,
    project_id: str,
    count: int,
    last: int | None,
    client: httpx.AsyncClient,
    version: int | None = None,
) -> list[Frame]:
    """``count`` frames after ``last``, on a new request that is closed at once after; fewer
    when ``version``'s terminal event comes first (nothing follows it: waiting for more would
    wait forever, the stream's pings keeping the read timeout from ever firing)."""
    collected: list[Frame] = []
    async with aclosing(frames(url, project_id, last, client=client)) as stream:
        async for frame in stream:
            collected.append(frame)
            if len(collected) == count or (version is not None and ends_version(frame, version)):
                break
    return collected


async def follow_alternating(
    urls: tuple[str, str], project_id: str, version: int, rng: random.Random
) -> tuple[list[Frame], int]:
    """A live client that drops its stream every 1-3 events and resumes on the other server
    with Last-Event-ID, until the version ends; what it saw, and how many reconnects."""
    seen: list[Frame] = []
    turns = 0
    async with httpx.AsyncClient(timeout=30) as client:
        while not seen or not ends_version(seen[-1], version):
            last = seen[-1].id if seen else None
            count = rng.randint(1, 3)
            seen += await read_exactly(urls[turns % 2], project_id, count, last, client, version)
            turns += 1
    return seen, turns


async def reconnect_at_random(
    urls: tuple[str, str], project_id: str, replay: list[Frame], rng: random.Random
) -> int:
    """RECONNECTS clients, ten at a time, each resuming at a random point of the history on
    the servers in turn: each must get exactly what follows; how many did."""
    done = 0

    async def one(client: httpx.AsyncClient, turn: int) -> None:
        nonlocal done
        start = rng.randrange(len(replay))
        count = min(rng.randint(1, 5), len(replay) - start)
        last = replay[start - 1].id if start else 0
        got = await read_exactly(urls[turn % 2], project_id, count, last, client)
        assert got == replay[start : start + count], (turn, start)
        done += 1

    async with httpx.AsyncClient(timeout=30) as client:
        for wave in range(0, RECONNECTS, 10):
            turns = range(wave, min(wave + 10, RECONNECTS))
            await asyncio.gather(*(one(client, turn) for turn in turns))
    return done


async def check_the_matrix(a: str, b: str) -> None:
    rng = random.Random(15)
    pid, _ = create_project(a)
    first, live_reconnects = await follow_alternating((b, a), pid, 1, rng)
    assert first[-1].event == "version:complete"
    assert live_reconnects > 20
    iterate = f"{b}/api/projects/{pid}/versions"
    answer = httpx.post(iterate, json={"prompt": "add tags to books"}, timeout=10)
    assert answer.status_code == 202, answer.text
    await read_through(b, pid, "file:complete", first[-1].id)
    stop = httpx.post(f"{a}/api/projects/{pid}/cancel", timeout=10)
    assert stop.json() == {"cancelled": True}
    second = await read_until_terminal(a, pid, 2, first[-1].id)
    assert second[-1].event == "cancelled"
    replay_a = await read_until_terminal(a, pid, 2, 0)
    replay_b = await read_until_terminal(b, pid, 2, 0)
    assert replay_a == replay_b == first + second
    assert [f.id for f in replay_a] == sorted({f.id for f in replay_a})
    # Reconnects anywhere in the history, alternating servers: each gets exactly what follows.
    assert await reconnect_at_random((a, b), pid, replay_a, rng) == RECONNECTS


async def test_two_api_processes_two_workers_from_the_cluster_script(
    deployment: Deployment, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        **deployment.env(bus="redis"),
        "APIFORGE_VALIDATOR": "none",
        "APIFORGE_ENGINE_DELAY_MS": "20",
        "APIFORGE_PYTHON": sys.executable,
    }
    where = ("--dir", str(tmp_path / "cluster"))
    with cluster_script(env, "--api", "2", "--workers", "2", *where) as members:
        assert set(members) == {"api-1", "api-2", "worker-1", "worker-2"}
        assert {members[f"worker-{n}"][1] for n in (1, 2)} == {"worker"}
        await check_the_matrix(members["api-1"][1], members["api-2"][1])
        stop = subprocess.run([SCRIPT, "stop", *where], env=env, capture_output=True, text=True)
        assert stop.stdout.strip() == "stopped 4 process(es)"
        await asyncio.to_thread(wait_until_ended, [pid for pid, _ in members.values()])


def wait_until_ended(pids: list[int], timeout: float = 30) -> None:
    """Each process was SIGTERMed and must end (and be reaped by the script)."""
    end = time.monotonic() + timeout
    while any(alive(pid) for pid in pids):
        assert time.monotonic() < end, [pid for pid in pids if alive(pid)]
        time.sleep(0.1)
