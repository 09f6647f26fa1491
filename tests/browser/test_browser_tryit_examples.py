"""Try it on a validated bookstore version, in real Chromium through the sandboxed preview: the
pre-filled bodies are sent unchanged and the generated API accepts them (201). Then a restore
of that version: its files are v1's, so it carries v1's validation report and the step bar and
status line say so ("Validated as v1"), and its preview starts on request.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import create_project, expect_complete
from tests.browser.test_browser_failures import step_states
from tests.server_process import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sandbox]
BOOKSTORE = (
    "A bookstore API with authors (name, email, website), books (title, isbn, published date, "
    "price) and reviews (rating, comment). Each book belongs to an author. Each review belongs "
    "to a book."
)


def _wait_validated_preview(server: ServerProcess, project_id: str) -> None:
    url = f"{server.url}/api/projects/{project_id}/versions/1/preview"
    deadline = time.monotonic() + 180
    # The validated app's preview, not the partial one that runs while the code streams.
    while (state := httpx.get(url, timeout=10).json())["state"] != "running" or state["partial"]:
        assert time.monotonic() < deadline, state
        time.sleep(0.2)


def _send_prefilled(page: Page, route: str) -> None:
    page.locator(f"#tryit-routes .route-btn[data-route='{route}']").click()
    expect(page.locator("#tryit-detail h3")).to_have_text(route)
    page.locator("#tryit-send").click()
    expect(page.locator("#tryit-status")).to_have_text("201 Created", timeout=10_000)


def test_prefilled_bodies_are_accepted_and_a_restore_says_it_was_validated_as_v1(
    page: Page, preview_server: ServerProcess, artifacts: Path
) -> None:
    project_id = create_project(preview_server, BOOKSTORE)
    _wait_validated_preview(preview_server, project_id)
    page.goto(f"{preview_server.url}/projects/{project_id}")
    expect_complete(page, 1)
    assert step_states(page)["validating"] == "done"
    page.locator("#ptab-tryit").click()
    expect(page.locator("#tryit-label")).to_contain_text("Preview of version 1", timeout=10_000)
    _send_prefilled(page, "POST /authors")
    expect(page.locator("#tryit-response")).to_contain_text("user@example.com")
    _send_prefilled(page, "POST /books")  # names author 1, made just before
    _send_prefilled(page, "POST /reviews")
    page.screenshot(path=artifacts / "try-it-prefilled-201.png")

    restore = f"{preview_server.url}/api/projects/{project_id}/versions/1/restore"
    assert httpx.post(restore, timeout=10).status_code == 201
    carried = re.compile(r"^v2: Restored v1 · Validated as v1: \S")
    expect_complete(page, 2)
    assert step_states(page)["validating"] == "done"
    expect(page.locator("#progress-status")).to_have_text(carried)
    card = page.locator(".version-card[data-version='2'] .card-validated")
    page.reload()  # the same from the REST record as from the live events
    expect_complete(page, 2)
    assert step_states(page)["validating"] == "done"
    expect(page.locator("#progress-status")).to_have_text(carried)
    expect(card).to_have_text("validated as v1")
    page.screenshot(path=artifacts / "restored-validated-as-v1.png")
    page.locator("#ptab-tryit").click()
    expect(page.locator("#preview-state")).to_have_text("The preview of version 2 is not running.")
    page.locator("#tryit-start").click()
    expect(page.locator("#tryit-label")).to_contain_text("Preview of version 2", timeout=60_000)
