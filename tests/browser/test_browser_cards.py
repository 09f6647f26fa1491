"""The version card menu against the real endpoints, reduced motion, and the provider label."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, open_page
from tests.browser.helpers import (
    DONE_MS,
    FOLLOW_UP,
    Server,
    create_project,
    expect_complete,
    expect_file_shown,
    expect_tree,
    files_of,
    wait_for_status,
)

pytestmark = pytest.mark.browser


def card_action(page: Page, number: int, action: str) -> None:
    card = page.locator(f".version-card[data-version='{number}']")
    card.locator(".card-menu-btn").click()
    card.locator(f".menu-item[data-action='{action}']").click()


def project_with_two_versions(server: Server) -> str:
    project_id = create_project(server)
    wait_for_status(server, project_id, 1, "complete")
    url = f"{server.url}/api/projects/{project_id}/versions"
    response = httpx.post(url, json={"prompt": FOLLOW_UP}, timeout=10)
    assert response.status_code in (201, 202), response.text
    wait_for_status(server, project_id, 2, "complete")
    return project_id


def zip_files(data: bytes) -> dict[str, str]:
    """The archive's files by path below its single root folder."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = [name for name in archive.namelist() if not name.endswith("/")]
        roots = {name.split("/", 1)[0] for name in names}
        assert len(roots) == 1, roots
        return {name.split("/", 1)[1]: archive.read(name).decode() for name in names}


def test_zip_copy_restore_compare_and_fork(
    page: Page, live_server: Server, artifacts: Path
) -> None:
    project_id = project_with_two_versions(live_server)
    v1, v2 = files_of(live_server, project_id, 1), files_of(live_server, project_id, 2)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server.url}/projects/{project_id}")
    expect_complete(page, 2)
    label = page.locator("#provider-label")
    expect(label).to_have_text(re.compile(r"offline engine.*no AI model"))

    with page.expect_download() as info:
        card_action(page, 1, "zip")
    download = info.value
    assert download.suggested_filename.endswith(".zip")
    assert zip_files(Path(download.path()).read_bytes()) == v1

    card_action(page, 2, "copy")
    expect(page.locator("#composer-status")).to_have_text(f"Copied {len(v2)} files of v2.")
    copied = str(page.evaluate("navigator.clipboard.readText()"))
    for path, content in v2.items():
        assert f"# ===== {path} =====\n{content}" in copied

    card_action(page, 1, "restore")
    select = page.locator("#version-select")
    expect(select.locator("option")).to_have_count(3)
    expect(select).to_have_value("3")
    expect(page.locator("#composer-status")).to_have_text("Restored v1.")
    expect(page.locator("#chat-v3 .menu-action")).to_contain_text("Restore v1")
    expect(page.locator("#chat-v3 .msg.user")).to_have_count(0)
    expect(page.locator("#chat-v3")).to_contain_text("Restored the files of v1 as v3.")
    expect(page.locator(".version-card[data-version='3']")).to_be_visible()
    assert files_of(live_server, project_id, 3) == v1
    expect_tree(page, set(v1))
    modified = sorted(path for path in v1 if path in v2 and v1[path] != v2[path])
    assert modified, "the follow-up changed no file of v1"
    expect_file_shown(page, modified[0], v1[modified[0]])
    page.screenshot(path=artifacts / "restored.png")

    card_action(page, 3, "compare")
    diff = page.locator("#diff-view")
    expect(diff).to_have_attribute("data-from", "2")
    expect(diff).to_have_attribute("data-to", "3")
    changed = {path for path in set(v1) | set(v2) if v1.get(path) != v2.get(path)}
    expect(diff.locator(".diff-file")).to_have_count(len(changed))
    expect(diff.locator(f'.diff-file[data-path="{modified[0]}"] .line-del').first).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("#code-col")).to_be_visible()
    page.screenshot(path=artifacts / "narrow-diff.png")
    page.set_viewport_size(DESKTOP)

    card_action(page, 1, "fork")
    page.wait_for_url(re.compile(r"/projects/(?!" + project_id + r")[^/]+$"), timeout=5000)
    expect(page.locator("#project-name")).to_contain_text("(fork of v1)")
    expect_complete(page, 1)
    expect_tree(page, set(v1))
    page.screenshot(path=artifacts / "forked.png")


def test_regenerate_starts_a_new_version_that_stop_cancels(page: Page, slow_server: Server) -> None:
    # The offline engine regenerates a follow-up only where its change is still to be made, so
    # v3 restores v1 before v2 is regenerated (as v4).
    project_id = project_with_two_versions(slow_server)
    restore = f"{slow_server.url}/api/projects/{project_id}/versions/1/restore"
    assert httpx.post(restore, timeout=10).status_code == 201
    page.goto(f"{slow_server.url}/projects/{project_id}")
    expect_complete(page, 3)
    card_action(page, 2, "regenerate")
    expect(page.locator("#version-select option")).to_have_count(4)
    expect(page.locator("#composer-status")).to_have_text("Generating v4…")
    expect(page.locator("#progress")).to_have_attribute("data-version", "4")
    expect(page.locator("#chat-v4 .msg.user")).to_contain_text(FOLLOW_UP)
    expect(page.locator("#code-content .cursor")).to_be_visible(timeout=DONE_MS)
    page.locator("#stop-button").click()
    expect(page.locator("#progress")).to_have_attribute("data-status", "cancelled", timeout=10_000)
    expect(page.locator("#chat-v4 .note-cancelled")).to_be_visible()
    expect(page.locator("#send-button")).to_be_enabled()


@pytest.fixture
def calm_page(browser: Browser) -> Iterator[Page]:
    """A page whose visitor asked the system for reduced motion."""
    with open_page(browser, reduced_motion="reduce") as tab:
        yield tab


def test_reduced_motion_shows_code_without_typing(calm_page: Page, slow_server: Server) -> None:
    page = calm_page
    project_id = create_project(slow_server)
    page.goto(f"{slow_server.url}/projects/{project_id}")
    code = page.locator("#code-content")
    expect(code).to_have_attribute("data-typing", "instant", timeout=DONE_MS)
    cursor = page.locator("#code-content .cursor")
    if cursor.count():  # the write position is still marked, but it does not blink
        expect(cursor.first).to_have_css("animation-name", "none")
    expect_complete(page, 1)
    files = files_of(slow_server, project_id, 1)
    expect_tree(page, set(files))
    expect(page.locator("#code-content .cursor")).to_have_count(0)
    for path in sorted(files)[:4]:
        expect_file_shown(page, path, files[path])
