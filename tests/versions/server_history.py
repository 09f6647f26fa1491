"""A project with several completed versions on a real server, for endpoint and CLI tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.sse_reader import read_until_terminal

PROMPT = "a todo API with tasks (title, done, due date) and users (name, email)"
SECOND = "add pagination"
THIRD = "add a health endpoint"


@dataclass(frozen=True)
class History:
    url: str
    project_id: str
    files: dict[int, dict[str, str]]
    last_event_id: int

    def api(self, path: str = "") -> str:
        return f"{self.url}/api/projects/{self.project_id}{path}"


def files_of(url: str, project_id: str, number: int) -> dict[str, str]:
    response = httpx.get(f"{url}/api/projects/{project_id}/versions/{number}/files")
    assert response.status_code == 200, response.text
    files: dict[str, str] = response.json()["files"]
    return files


def versions_of(url: str, project_id: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/api/projects/{project_id}/versions")
    assert response.status_code == 200, response.text
    versions: list[dict[str, Any]] = response.json()["versions"]
    return versions


async def build_history(url: str, prompts: tuple[str, ...]) -> History:
    """A project with one completed version per prompt."""
    created = httpx.post(f"{url}/api/projects", json={"prompt": prompts[0]}, timeout=10)
    assert created.status_code == 201, created.text
    pid = created.json()["project"]["id"]
    seen = await read_until_terminal(url, pid, 1)
    for number, prompt in enumerate(prompts[1:], start=2):
        posted = httpx.post(f"{url}/api/projects/{pid}/versions", json={"prompt": prompt})
        assert posted.status_code == 202, posted.text
        seen = await read_until_terminal(url, pid, number, last_event_id=seen[-1].id)
    statuses = [v["status"] for v in versions_of(url, pid)]
    assert statuses == ["complete"] * len(prompts)
    files = {n: files_of(url, pid, n) for n in range(1, len(prompts) + 1)}
    return History(url, pid, files, seen[-1].id)
