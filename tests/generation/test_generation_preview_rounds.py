"""The progressive preview beyond the first attempt: through a fix round, and after a follow-up
that does not end validated (docs/events.md, "Progressive preview").

A real server with the sandbox and a scripted OpenAI model whose replies stop at a ``Gate``
until the test has seen what the preview serves, so "before the version ended" is a fact of
the script, not a race with the clock.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent

import httpx
import pytest

from apiforge.sandbox.runtime import find_bwrap
from tests.providers.protocols import Dialect
from tests.providers.scripted_server import Drop, Gate, Reply
from tests.server_process import ServerProcess
from tests.sse_reader import Frame, frames, read_until_terminal

from .scripted_app import chunked, gated_reply, model_reply
from .scripted_thread import ThreadedScriptedServer

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        find_bwrap() is None and os.geteuid() != 0,
        reason="bubblewrap is not installed and we are not root to install it",
    ),
]

OPENAI = Dialect("openai")
PREVIEW_S = 60.0  # a sandbox boot on a loaded 2-core machine, with room to spare

HEALTH_APP = dedent(
    """\
    from fastapi import FastAPI

    app = FastAPI(title="Health")


    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}
    """
)
ITEMS_APP = HEALTH_APP + dedent(
    """\


    @app.get("/items")
    def items() -> list[str]:
        return ["first"]
    """
)
STATUS_APP = HEALTH_APP.replace('@app.get("/health")', '@app.get("/status")')


def health_test(expected: str) -> str:
    return dedent(
        f"""\
        from fastapi.testclient import TestClient

        from app.main import app


        def test_health_says_ok() -> None:
            assert TestClient(app).get("/health").json() == {{"status": "{expected}"}}
        """
    )


def project_reply(main: str, test_expects: str) -> str:
    return (
        "A tiny health API.\n"
        '<file path="requirements.txt">\nfastapi\nuvicorn\nhttpx\npytest\n</file>\n'
        '<file path="app/__init__.py">\n</file>\n'
        f'<file path="app/main.py">\n{main}</file>\n'
        '<file path="tests/__init__.py">\n</file>\n'
        f'<file path="tests/test_health.py">\n{health_test(test_expects)}</file>\n'
        "<summary>A health endpoint with a test.</summary>\n"
    )


# A fix round's end: the test repaired.
FIX_REST = (
    '<file path="tests/test_health.py">\n'
    + health_test("ok")
    + "</file>\n<summary>Fixed the test, added items.</summary>\n"
)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, model: ThreadedScriptedServer
) -> Iterator[ServerProcess]:
    data_dir: Path = tmp_path_factory.mktemp("preview-rounds")
    process = ServerProcess(
        data_dir,
        env={
            **model.openai_env(),
            "APIFORGE_VALIDATOR": "sandbox",
            "APIFORGE_SANDBOX_FUZZ_S": "0",
            "APIFORGE_SANDBOX_FIRST_UID": "64700",
            "APIFORGE_FIX_ROUNDS": "1",
            "APIFORGE_STALL_TIMEOUT_S": "120",
        },
    )
    process.start()
    yield process
    process.stop()


async def wait_for_answer(server: ServerProcess, project_id: str, route: str) -> None:
    """Until the project's preview answers ``route`` with 200."""
    deadline = time.monotonic() + PREVIEW_S
    status = None
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        while time.monotonic() < deadline:
            status = (await client.get(f"/preview/{project_id}{route}")).status_code
            if status == 200:
                return
            await asyncio.sleep(0.1)
    raise AssertionError(f"the preview never answered {route} (last status {status})")


def preview_status(server: ServerProcess, project_id: str, route: str) -> int:
    return httpx.get(f"{server.url}/preview/{project_id}{route}", timeout=10).status_code


def start_project(server: ServerProcess) -> str:
    response = httpx.post(f"{server.url}/api/projects", json={"prompt": "health"}, timeout=10)
    assert response.status_code == 201, response.text
    project_id: str = response.json()["project"]["id"]
    return project_id


def start_follow_up(server: ServerProcess, project_id: str) -> None:
    url = f"{server.url}/api/projects/{project_id}/versions"
    response = httpx.post(url, json={"prompt": "add items"}, timeout=10)
    assert response.status_code == 202, response.text


def cancel(server: ServerProcess, project_id: str) -> None:
    url = f"{server.url}/api/projects/{project_id}/cancel"
    httpx.post(url, timeout=10).raise_for_status()


def reader(
    server: ServerProcess, project_id: str, version: int, after: int | None = None
) -> asyncio.Task[list[Frame]]:
    return asyncio.create_task(read_until_terminal(server.url, project_id, version, after))


async def read_until_validated_preview(server: ServerProcess, project_id: str) -> list[Frame]:
    collected: list[Frame] = []
    async for frame in frames(server.url, project_id, timeout=PREVIEW_S):
        collected.append(frame)
        if frame.event == "preview:ready" and not frame.data["partial"]:
            break
    return collected


def index_of(seen: list[Frame], event: str, **data: object) -> int:
    for index, frame in enumerate(seen):
        if frame.event == event and all(frame.data.get(k) == v for k, v in data.items()):
            return index
    raise AssertionError(f"no {event} {data} in {[f.event for f in seen]}")


def version_status(server: ServerProcess, project_id: str, number: int) -> str:
    url = f"{server.url}/api/projects/{project_id}/versions/{number}"
    status: str = httpx.get(url, timeout=10).json()["version"]["status"]
    return status


async def test_a_fix_round_reloads_the_partial_preview_and_a_cancelled_follow_up_hands_back(
    server: ServerProcess, scripted: ThreadedScriptedServer
) -> None:
    """One project for both (each validation costs seconds): version 1's fix round adds /items
    to its partial preview; version 2, cancelled, gives version 1's preview back."""
    fix_gate, follow_up_gate = Gate(), Gate()
    scripted.scripted.script(
        model_reply(project_reply(HEALTH_APP, "fine"), chunk=60, usage=(100, 40)),  # its test fails
        gated_reply(f'<file path="app/main.py">\n{ITEMS_APP}</file>\n', fix_gate, FIX_REST),
        gated_reply(f'<file path="app/main.py">\n{STATUS_APP}</file>\n', follow_up_gate),
    )
    project_id = start_project(server)
    last_id = await fix_round_reloads_the_partial_preview(server, project_id, fix_gate)
    await cancelled_follow_up_hands_back(server, project_id, last_id, follow_up_gate)


async def fix_round_reloads_the_partial_preview(
    server: ServerProcess, project_id: str, gate: Gate
) -> int:
    """The fix round's new route answers before version 1 ends; returns the last event id."""
    events = asyncio.create_task(read_until_validated_preview(server, project_id))
    try:
        await wait_for_answer(server, project_id, "/items")
        # Not ended: the version stays "validating" from its first validation on.
        assert version_status(server, project_id, 1) in ("generating", "validating")
    finally:
        gate.opened.set()
    seen = await events
    assert seen[-2].event == "version:complete" and seen[-2].data["status"] == "complete"
    fix_started = index_of(seen, "step:start", message="Fixing 1 failing test — round 1 of 1")
    reloaded = fix_started + index_of(seen[fix_started:], "preview:ready", partial=True)
    assert seen[reloaded].data["version_number"] == 1
    return seen[-1].id


async def cancelled_follow_up_hands_back(
    server: ServerProcess, project_id: str, after: int, gate: Gate
) -> None:
    start_follow_up(server, project_id)
    events = reader(server, project_id, 2, after)
    try:
        await wait_for_answer(server, project_id, "/status")  # version 2's partial preview
        assert preview_status(server, project_id, "/items") == 404
        cancel(server, project_id)
        seen = await events
    finally:
        gate.opened.set()
    back = seen[index_of(seen, "preview:ready", version_number=1, partial=False) :]
    assert [f.event for f in back] == ["preview:ready", "cancelled"]
    assert preview_status(server, project_id, "/items") == 200
    assert preview_status(server, project_id, "/status") == 404


async def test_a_cancelled_first_version_says_its_preview_stopped(
    server: ServerProcess, scripted: ThreadedScriptedServer
) -> None:
    gate = Gate()
    scripted.scripted.script(gated_reply(project_reply(HEALTH_APP, "ok"), gate))
    project_id = start_project(server)
    events = reader(server, project_id, 1)
    try:
        await wait_for_answer(server, project_id, "/health")
        cancel(server, project_id)
        seen = await events
    finally:
        gate.opened.set()
    assert [f.event for f in seen[-2:]] == ["preview:stopped", "cancelled"]
    assert "No preview was running before version 1" in seen[-2].data["reason"]
    assert preview_status(server, project_id, "/health") == 404


async def test_follow_ups_that_fail_hand_back_the_validated_preview(
    server: ServerProcess, scripted: ThreadedScriptedServer
) -> None:
    """One project for both endings (its validated version 1 costs a sandbox run): version 2
    still fails validation after its fix round, version 3 loses its model mid-stream; each
    serves its partial preview, then gives version 1's back before its terminal event."""
    failing_gate, broken_gate = Gate(), Gate()
    status_main = f'<file path="app/main.py">\n{STATUS_APP}</file>\n'
    scripted.scripted.script(
        model_reply(project_reply(HEALTH_APP, "ok"), chunk=60, usage=(100, 40)),
        # /status instead of /health: version 1's test fails, and the fix round's test too.
        gated_reply(status_main, failing_gate),
        model_reply(
            f'<file path="tests/test_health.py">\n{health_test("up")}</file>\n',
            chunk=60,
            usage=(100, 40),
        ),
        # Not version 2's app again: its follow-up's base is version 2, so that would not restart.
        Reply(
            [
                *OPENAI.opening(chunked(status_main.replace("Health", "Status"), 60)),
                broken_gate,
                Drop(),
            ]
        ),
    )
    project_id = start_project(server)
    after = (await read_until_validated_preview(server, project_id))[-1].id
    ended = await follow_up_hands_back(server, project_id, 2, after, failing_gate)
    assert ended.event == "version:complete" and ended.data["status"] == "failed", ended
    ended = await follow_up_hands_back(server, project_id, 3, ended.id, broken_gate)
    assert ended.event == "error", ended
    assert [version_status(server, project_id, n) for n in (1, 2, 3)] == [
        "complete",
        "failed",
        "failed",
    ]


async def follow_up_hands_back(
    server: ServerProcess, project_id: str, version: int, after: int, gate: Gate
) -> Frame:
    """Version ``version`` serves /status (its partial preview) until ``gate`` opens, then ends
    unvalidated with version 1's preview back; returns its terminal event."""
    start_follow_up(server, project_id)
    events = reader(server, project_id, version, after)
    try:
        await wait_for_answer(server, project_id, "/status")
        assert preview_status(server, project_id, "/health") == 404
    finally:
        gate.opened.set()
    seen = await events
    back = seen[index_of(seen, "preview:ready", version_number=1, partial=False) :]
    assert [f.data["version_number"] for f in back] == [1, version], [f.event for f in back]
    assert preview_status(server, project_id, "/health") == 200
    assert preview_status(server, project_id, "/status") == 404
    return back[-1]
