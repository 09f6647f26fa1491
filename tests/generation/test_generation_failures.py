"""A bug anywhere in a generation ends the version failed and told, never stuck generating."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.server_process import ServerProcess
from tests.sse_reader import read_until_terminal


async def test_unexpected_exception_fails_the_version(tmp_path: Path) -> None:
    server = ServerProcess(
        tmp_path, env={"APIFORGE_PROVIDER": "tests.generation.broken_provider:BrokenProvider"}
    )
    server.start()
    try:
        created = httpx.post(f"{server.url}/api/projects", json={"prompt": "a todo API"}).json()
        pid = created["project"]["id"]
        events = await read_until_terminal(server.url, pid, 1)
        assert events[-1].event == "error"
        assert "fell over" in events[-1].data["message"]
        version = httpx.get(f"{server.url}/api/projects/{pid}/versions/1").json()["version"]
        assert version["status"] == "failed" and "fell over" in version["error"]
        again = httpx.post(f"{server.url}/api/projects/{pid}/versions", json={"prompt": "retry"})
        assert again.status_code == 202
    finally:
        server.stop()
