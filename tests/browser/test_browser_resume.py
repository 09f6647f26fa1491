"""The page across a server killed mid-generation: "Resumed after a restart", nothing twice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import create_project, expect_complete, expect_tree, files_of
from tests.server_process import ServerProcess

pytestmark = pytest.mark.browser
RESUMED = re.compile(r"^Resumed after a restart — continuing from file \d+$")


def expect_one_consistent_activity(page: Page) -> None:
    items = page.locator(".version-block .activity li")
    expect(items.filter(has_text="Plan ready")).to_have_count(1)
    expect(items.filter(has_text=RESUMED)).to_have_count(1)
    expect(page.locator(".msg.assistant")).to_have_count(1)
    reply = page.locator(".msg.assistant .msg-text").text_content() or ""
    plan = reply.splitlines()[0]
    assert plan and reply.count(plan) == 1, reply


def test_page_says_resumed_once_after_a_killed_server(
    page: Page, own_server: ServerProcess, artifacts: Path
) -> None:
    # Slow enough that the generation is still running when the page shows its third file,
    # also with the other test worker busy (at 15 ms it could finish before the kill).
    own_server.env["APIFORGE_ENGINE_DELAY_MS"] = "40"
    own_server.start()
    project_id = create_project(own_server)
    page.goto(f"{own_server.url}/projects/{project_id}")
    expect(page.locator("#file-tree .tree-file").nth(2)).to_be_visible(timeout=30_000)
    page.wait_for_timeout(300)  # the log flushes every 50 ms
    own_server.kill()
    own_server.start()

    # The page reconnects by itself (retries, then polls and probes the stream) and says so.
    resumed = page.locator(".version-block .activity li").filter(has_text=RESUMED)
    expect(resumed).to_be_visible(timeout=30_000)
    page.screenshot(path=artifacts / "resumed-after-restart.png")
    expect_complete(page, 1)
    expect_tree(page, set(files_of(own_server, project_id, 1)))
    expect_one_consistent_activity(page)

    page.reload()
    expect_complete(page, 1)
    expect_one_consistent_activity(page)
