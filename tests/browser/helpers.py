"""What the browser tests share: the test prompts, REST shortcuts and page expectations."""

from __future__ import annotations

import time
from typing import Any, Protocol

import httpx
from playwright.sync_api import Page, expect

PROMPT = "A library API with books and members"
FOLLOW_UP = "Add pagination and a health endpoint"
DONE_MS = 30_000


class Server(Protocol):
    url: str
    port: int


def create_project(server: Server, prompt: str = PROMPT) -> str:
    response = httpx.post(f"{server.url}/api/projects", json={"prompt": prompt}, timeout=10)
    assert response.status_code == 201, response.text
    project_id: str = response.json()["project"]["id"]
    return project_id


def wait_for_status(server: Server, project_id: str, number: int, wanted: str) -> None:
    deadline = time.monotonic() + DONE_MS / 1000
    status = ""
    while time.monotonic() < deadline:
        url = f"{server.url}/api/projects/{project_id}/versions/{number}"
        status = httpx.get(url, timeout=5).json()["version"]["status"]
        if status == wanted:
            return
        time.sleep(0.1)
    raise AssertionError(f"v{number} stayed {status!r}, wanted {wanted!r}")


def files_of(server: Server, project_id: str, number: int) -> dict[str, str]:
    url = f"{server.url}/api/projects/{project_id}/versions/{number}/files"
    files: dict[str, str] = httpx.get(url, timeout=5).json()["files"]
    return files


def tree_paths(page: Page) -> set[str]:
    paths: list[Any] = page.locator("#file-tree .tree-file").evaluate_all(
        "rows => rows.map(row => row.dataset.path)"
    )
    return {str(path) for path in paths}


def expect_tree(page: Page, wanted: set[str], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while (shown := tree_paths(page)) != wanted and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert shown == wanted


def expect_file_shown(page: Page, path: str, content: str) -> None:
    page.locator(f'#file-tree .tree-file[data-path="{path}"]').click()
    code = page.locator("#code-content")
    expect(code).to_have_attribute("data-path", path)
    expect(code).to_have_attribute("data-complete", "true", timeout=DONE_MS)
    assert code.text_content() == content


def expect_complete(page: Page, number: int) -> None:
    progress = page.locator("#progress")
    expect(progress).to_have_attribute("data-version", str(number), timeout=DONE_MS)
    expect(progress).to_have_attribute("data-status", "complete", timeout=DONE_MS)
