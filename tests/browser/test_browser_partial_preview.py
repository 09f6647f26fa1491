"""The progressive preview in real Chromium: the Try it pane answers requests while the code is
still streaming (labelled partial), and the routes of a later file show up and answer too.

Its server (tests/browser/conftest.py ``streaming_preview_server``: sandbox validator, the offline
engine typing at 60 ms a chunk, so the stream outlasts a sandbox boot on a busy machine) starts
beside the package's other servers.
Version 1 is stopped once its partial preview answered (which stops that preview); version 2
adds a resource whose router lands after ``app/main.py`` already imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import create_project, wait_for_status
from tests.server_process import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]
# Not "Add a loans resource": the stopped version 1 holds no spec file for the engine to extend.
ADD_LOANS = "A library API with books, members and loans"
PREVIEW_MS = 60_000


def stream_status(server: ServerProcess, project_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{server.url}/api/projects/{project_id}/stream-status", timeout=10)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def send_from_partial_preview(page: Page, version: int, route: str) -> None:
    """Wait for the partial preview of ``version`` to list ``route``, then send it: 200."""
    label = page.locator("#tryit-label")
    expect(label).to_have_attribute("data-version", str(version), timeout=PREVIEW_MS)
    expect(page.locator("#tryit-partial")).to_be_visible(timeout=PREVIEW_MS)
    button = page.locator(f"#tryit-routes .route-btn[data-route='{route}']")
    expect(button).to_be_visible(timeout=PREVIEW_MS)
    button.click()
    page.locator("#tryit-send").click()
    expect(page.locator("#tryit-status")).to_have_text(r"200 OK", timeout=10_000)


def test_try_it_answers_while_the_code_still_streams(
    page: Page, streaming_preview_server: ServerProcess, artifacts: Path
) -> None:
    server = streaming_preview_server
    project_id = create_project(server)
    page.goto(f"{server.url}/projects/{project_id}")
    page.locator("#ptab-tryit").click()
    send_from_partial_preview(page, 1, "GET /books")
    status = stream_status(server, project_id)
    # The request was answered before the generation's last file streamed.
    assert status["generation"]["step"] == "generating", status
    assert status["preview"]["partial"] is True and status["preview"]["serving_version"] == 1
    page.screenshot(path=artifacts / "try-it-partial.png")

    httpx.post(f"{server.url}/api/projects/{project_id}/cancel", timeout=10).raise_for_status()
    wait_for_status(server, project_id, 1, "cancelled")
    assert stream_status(server, project_id)["preview"]["state"] == "stopped"

    follow_up = httpx.post(
        f"{server.url}/api/projects/{project_id}/versions", json={"prompt": ADD_LOANS}, timeout=10
    )
    assert follow_up.status_code == 202, follow_up.text
    # app/main.py (importing the loans router) lands first; the router lands later and adds
    # the route: the pane reads the restarted preview's routes again.
    send_from_partial_preview(page, 2, "GET /loans")
    assert stream_status(server, project_id)["generation"]["step"] == "generating"
    page.screenshot(path=artifacts / "try-it-partial-later-route.png")
