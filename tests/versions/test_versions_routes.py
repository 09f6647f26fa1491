"""Diffs list changed API routes, read from the OpenAPI document the sandbox saw at boot."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apiforge.sandbox.runtime import find_bwrap
from tests.server_process import ServerProcess
from tests.sse_reader import read_until_terminal

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        find_bwrap() is None and os.geteuid() != 0,
        reason="bubblewrap is not installed and we are not root to install it",
    ),
]


@pytest.fixture
def sandbox_server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(
        tmp_path,
        env={
            "APIFORGE_VALIDATOR": "sandbox",
            "APIFORGE_SANDBOX_FUZZ_S": "0",
            "APIFORGE_SANDBOX_FIRST_UID": "64300",
        },
    )
    server.start()
    yield server
    server.stop()


async def test_diff_lists_routes_added_by_a_follow_up(sandbox_server: ServerProcess) -> None:
    url = sandbox_server.url
    body = {"prompt": "a blog API with posts (title, body)"}
    pid = httpx.post(f"{url}/api/projects", json=body).json()["project"]["id"]
    first = await read_until_terminal(url, pid, 1)
    assert first[-1].data["status"] == "complete", first[-1].data
    follow_up = {"prompt": "add comments with text"}
    assert httpx.post(f"{url}/api/projects/{pid}/versions", json=follow_up).status_code == 202
    second = await read_until_terminal(url, pid, 2, last_event_id=first[-1].id)
    assert second[-1].event == "version:complete" and second[-1].data["status"] == "complete"
    routes = httpx.get(f"{url}/api/projects/{pid}/versions/2/diff").json()["routes"]
    added = {(r["method"], r["path"]) for r in routes["added"]}
    assert ("POST", "/comments") in {(m.upper(), p) for m, p in added}
    assert not routes["removed"]
    same = httpx.get(f"{url}/api/projects/{pid}/versions/1/diff", params={"against": 1}).json()
    assert same["routes"] == {"added": [], "removed": [], "changed": []}
