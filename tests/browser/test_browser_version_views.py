"""What the project page shows of each version: the status line follows the version switcher,
a reload shows each version's chat items as the live stream did, and the file tree never has
an unreadable row while files stream in."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import DONE_MS, Server, create_project, expect_complete, wait_for_status

pytestmark = pytest.mark.browser

BOOKSTORE = "A bookstore API with books (title, author, price)"
REVIEWS = "add a reviews resource with rating 1-5 and a comment, linked to books"

# Every file row the tree inserts, as it looks the moment it is inserted.
WATCH_NEW_ROWS = """() => {
  window.__treeRows = [];
  new MutationObserver((mutations) => {
    // The tree is redrawn whole: its rows arrive inside a new list.
    const added = mutations.flatMap((mutation) => [...mutation.addedNodes]);
    const rows = added.filter((node) => node instanceof HTMLElement)
      .flatMap((node) => [...node.querySelectorAll(".tree-row")]);
    for (const row of rows) {
      window.__treeRows.push({ entering: row.classList.contains("enter"),
        opacity: getComputedStyle(row).opacity, text: row.textContent.trim() });
    }
  }).observe(document.querySelector("#file-tree"), { childList: true, subtree: true });
}"""


def follow_up(server: Server, project_id: str, prompt: str = REVIEWS) -> None:
    url = f"{server.url}/api/projects/{project_id}/versions"
    response = httpx.post(url, json={"prompt": prompt}, timeout=10)
    assert response.status_code == 202, response.text


def activity(page: Page, number: int) -> list[str]:
    return page.locator(f"#chat-v{number} .activity li").all_text_contents()


def two_versions(server: Server) -> str:
    project_id = create_project(server, BOOKSTORE)
    wait_for_status(server, project_id, 1, "complete")
    follow_up(server, project_id)
    wait_for_status(server, project_id, 2, "complete")
    return project_id


def test_the_status_line_describes_the_selected_version(page: Page, live_server: Server) -> None:
    project_id = two_versions(live_server)
    page.goto(f"{live_server.url}/projects/{project_id}")
    expect_complete(page, 2)
    expect(page.locator("#progress-status")).to_have_text(re.compile(r"^v2: Added reviews"))

    page.select_option("#version-select", "1")
    expect(page.locator("#progress")).to_have_attribute("data-version", "1")
    expect(page.locator("#progress-status")).to_have_text(re.compile(r"^v1: Generated Bookstore"))
    expect(page.locator("#progress-timing")).to_have_text(re.compile(r"^Took "))

    page.select_option("#version-select", "2")
    expect(page.locator("#progress-status")).to_have_text(re.compile(r"^v2: Added reviews"))


def test_a_reload_shows_the_chat_items_the_stream_showed(page: Page, live_server: Server) -> None:
    project_id = create_project(live_server, BOOKSTORE)
    page.goto(f"{live_server.url}/projects/{project_id}")
    expect_complete(page, 1)
    follow_up(live_server, project_id)
    expect_complete(page, 2)
    live = {number: activity(page, number) for number in (1, 2)}
    assert live[1] and live[1][0] == "Plan ready" and live[1][-1] == "Version saved"

    for _ in range(3):
        page.reload()
        expect_complete(page, 2)
        expect(page.locator("#chat-v1 .activity li")).to_have_count(len(live[1]))
        assert {number: activity(page, number) for number in (1, 2)} == live


def test_new_file_rows_are_readable_from_their_first_frame(page: Page, live_server: Server) -> None:
    project_id = create_project(live_server, BOOKSTORE)
    wait_for_status(live_server, project_id, 1, "complete")
    page.goto(f"{live_server.url}/projects/{project_id}")
    expect_complete(page, 1)
    page.evaluate(WATCH_NEW_ROWS)
    follow_up(live_server, project_id)
    expect(page.locator('#file-tree .tree-file[data-path="tests/test_reviews.py"]')).to_be_visible(
        timeout=DONE_MS
    )
    expect_complete(page, 2)

    rows: list[dict[str, Any]] = page.evaluate("() => window.__treeRows")
    entering = [row for row in rows if row["entering"]]
    assert any(row["text"] == "test_reviews.py" for row in entering), rows
    assert [row for row in rows if row["opacity"] != "1" or not row["text"]] == []
