"""A generation killed mid-stream resumes after a restart: said once, nothing shown twice."""

from __future__ import annotations

import time

import httpx
import pytest

from apiforge.sandbox.runtime import find_bwrap
from tests.core.test_core_restart import start_project, wait_for_status
from tests.server_process import ServerProcess
from tests.sse_reader import Frame, frames, read_until_terminal

FILES_BEFORE_KILL = 3


async def read_until_files(server: ServerProcess, pid: str, count: int) -> list[Frame]:
    collected: list[Frame] = []
    async for frame in frames(server.url, pid):
        collected.append(frame)
        completed = [f for f in collected if f.event == "file:complete"]
        if len(completed) >= count or frame.event == "version:complete":
            break
    return collected


def progress_values(picture: list[Frame]) -> list[int]:
    return [int(f.data["progress"]) for f in picture if f.event in {"step:start", "step:progress"}]


def assert_progress_falls_only_when_said(picture: list[Frame]) -> None:
    """Progress never goes down, except at a "start again" marker that says why."""
    steps = [f for f in picture if f.event in {"step:start", "step:progress"}]
    for before, after in zip(steps, steps[1:], strict=False):
        said = after.event == "step:start" and after.data["resumed"]
        assert after.data["progress"] >= before.data["progress"] or said, (before, after)


async def killed_after_files(server: ServerProcess) -> tuple[str, list[Frame]]:
    server.env["APIFORGE_ENGINE_DELAY_MS"] = "15"
    server.start()
    pid = start_project(server)
    seen = await read_until_files(server, pid, FILES_BEFORE_KILL)
    assert seen[-1].event == "file:complete", "the generation ended before the kill"
    time.sleep(0.3)  # the log flushes every 50 ms: what was seen is on disk
    server.kill()
    server.start()
    return pid, seen


async def test_killed_generation_resumes_with_one_consistent_picture(
    own_server: ServerProcess,
) -> None:
    pid, seen = await killed_after_files(own_server)
    assert wait_for_status(own_server, pid, timeout=60) == "complete"
    picture = await read_until_terminal(own_server.url, pid, 1)

    markers = [i for i, f in enumerate(picture) if f.data.get("resumed")]
    assert len(markers) == 1, "one resume, said once"
    kept = sum(1 for f in picture[: markers[0]] if f.event == "file:complete")
    assert kept >= FILES_BEFORE_KILL
    resumed = picture[markers[0]]
    assert resumed.event == "step:progress"
    assert resumed.data["message"] == f"Resumed after a restart — continuing from file {kept + 1}"
    plan_ready = [f for f in picture if f.event == "step:complete" and f.data["step"] == "planning"]
    assert len(plan_ready) == 1
    prose = "".join(f.data["text"] for f in picture if f.event == "message:chunk")
    assert prose.count(prose[:60]) == 1, "the plan text is in the picture twice"

    completed = [f.data["path"] for f in picture if f.event == "file:complete"]
    assert len(completed) == len(set(completed)), "a completed file was counted again"
    values = progress_values(picture)
    assert values == sorted(values), f"progress went back: {values}"

    stored = httpx.get(f"{own_server.url}/api/projects/{pid}/versions/1/files").json()
    assert sorted(stored["files"]) == sorted(completed)
    assert [f.data for f in seen] == [f.data for f in picture[: len(seen)]]


@pytest.mark.sandbox
@pytest.mark.skipif(find_bwrap() is None, reason="validation needs bubblewrap")
async def test_killed_validation_runs_again_and_says_so(own_server: ServerProcess) -> None:
    own_server.env.update(
        {
            "APIFORGE_VALIDATOR": "sandbox",
            "APIFORGE_SANDBOX_FUZZ_S": "0",
            "APIFORGE_SANDBOX_FIRST_UID": "64300",
        }
    )
    own_server.start()
    pid = start_project(own_server)
    async for frame in frames(own_server.url, pid):
        if frame.event == "validation:progress" or frame.event == "version:complete":
            break
    assert frame.event == "validation:progress", "validation ended before the kill"
    time.sleep(0.3)
    own_server.kill()
    own_server.start()
    assert wait_for_status(own_server, pid, timeout=120) in {"complete", "failed"}
    picture = await read_until_terminal(own_server.url, pid, 1)

    written = [f for f in picture if f.event == "step:complete" and f.data["step"] == "generating"]
    assert len(written) == 1
    said = [i for i, f in enumerate(picture) if f.data.get("resumed")]
    assert [picture[i].data["message"] for i in said] == [
        "Resumed after a restart — validating again"
    ]
    starts = [i for i, f in enumerate(picture) if f.event == "validation:start"]
    assert len(starts) == 2 and starts[0] < said[0] < starts[1]
    assert len([f for f in picture if f.event == "validation:complete"]) == 1
    assert_progress_falls_only_when_said(picture)
