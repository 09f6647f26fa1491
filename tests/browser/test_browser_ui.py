"""The web UI end to end: a real apiforge server, Debian's Chromium driven by Playwright."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    DONE_MS,
    FOLLOW_UP,
    PROMPT,
    Server,
    create_project,
    expect_complete,
    expect_file_shown,
    expect_tree,
    files_of,
    wait_for_status,
)
from tests.browser.proxy import DroppingProxy
from tests.server_process import ServerProcess

pytestmark = pytest.mark.browser


def test_prompt_streams_files_and_finishes_with_a_card(
    page: Page, slow_server: Server, artifacts: Path
) -> None:
    page.goto(f"{slow_server.url}/")
    expect(page.locator("#home-prompt")).to_be_focused()
    page.screenshot(path=artifacts / "home.png")
    page.fill("#home-prompt", PROMPT)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/projects/[^/]+$"), timeout=3000)
    project_id = page.url.rsplit("/", 1)[1]

    expect(page.locator("#file-tree .tree-file").first).to_be_visible(timeout=DONE_MS)
    expect(page.locator("#code-content .cursor")).to_be_visible(timeout=DONE_MS)
    expect(page.locator("#progress-status")).to_contain_text("files)")
    page.screenshot(path=artifacts / "generation-in-progress.png")

    expect_complete(page, 1)
    files = files_of(slow_server, project_id, 1)
    expect_tree(page, set(files))
    page.locator(".version-card .card-toggle").click()
    expect(page.locator(".version-card .card-file")).to_have_count(len(files))
    main_path = "app/main.py" if "app/main.py" in files else sorted(files)[0]
    page.locator(f'.version-card .card-file[data-path="{main_path}"]').click()
    code = page.locator("#code-content")
    expect(code).to_have_attribute("data-path", main_path)
    expect(code).to_have_attribute("data-complete", "true")
    assert code.text_content() == files[main_path]
    expect(page.locator("#chat-input")).to_be_enabled()
    page.screenshot(path=artifacts / "finished-project.png")


def test_reload_mid_generation_rebuilds_the_same_picture(page: Page, slow_server: Server) -> None:
    project_id = create_project(slow_server)
    page.goto(f"{slow_server.url}/projects/{project_id}")
    expect(page.locator("#file-tree .tree-file").nth(1)).to_be_visible(timeout=DONE_MS)
    page.reload()
    expect(page.locator("#file-tree .tree-file").first).to_be_visible(timeout=DONE_MS)
    expect_complete(page, 1)
    files = files_of(slow_server, project_id, 1)
    expect_tree(page, set(files))
    for path in sorted(files)[:3]:
        expect_file_shown(page, path, files[path])
    # Once: one user prompt and one card, however many times the events were replayed.
    expect(page.locator(".msg.user")).to_have_count(1)
    expect(page.locator(".version-card")).to_have_count(1)


def test_follow_up_switch_versions_and_compare(
    page: Page, live_server: Server, artifacts: Path
) -> None:
    project_id = create_project(live_server)
    wait_for_status(live_server, project_id, 1, "complete")
    page.goto(f"{live_server.url}/projects/{project_id}")
    expect_complete(page, 1)
    page.fill("#chat-input", FOLLOW_UP)
    page.keyboard.press("Enter")
    expect_complete(page, 2)
    expect(page.locator(".version-card")).to_have_count(2)
    v1, v2 = files_of(live_server, project_id, 1), files_of(live_server, project_id, 2)
    changed = sorted(path for path in v2 if v1.get(path) != v2[path])
    assert changed, "the follow-up changed nothing"

    select = page.locator("#version-select")
    expect(select).to_have_value("2")
    expect(select.locator("option")).to_have_count(2)
    select.select_option("1")
    expect_tree(page, set(v1))
    expect_file_shown(page, sorted(v1)[0], v1[sorted(v1)[0]])
    modified = next((p for p in changed if p in v1), None)
    if modified:
        expect_file_shown(page, modified, v1[modified])
    select.select_option("2")
    expect_file_shown(page, changed[0], v2[changed[0]])

    page.locator(".version-card[data-version='2'] .card-menu-btn").click()
    page.locator(".version-card[data-version='2'] .menu-item[data-action='compare']").click()
    diff = page.locator("#diff-view")
    expect(diff).to_be_visible()
    expect(diff).to_have_attribute("data-from", "1")
    expect(diff.locator(".diff-file")).to_have_count(len(changed) + len(set(v1) - set(v2)))
    expect(diff.locator(".line-add").first).to_be_visible()
    page.screenshot(path=artifacts / "diff-view.png")


def test_stop_during_generation_marks_the_step_cancelled(page: Page, slow_server: Server) -> None:
    project_id = create_project(slow_server)
    page.goto(f"{slow_server.url}/projects/{project_id}")
    stop = page.locator("#stop-button")
    expect(stop).to_be_visible(timeout=DONE_MS)
    expect(page.locator("#send-button")).to_be_disabled()
    expect(page.locator("#composer-status")).to_have_text("Generating v1…")
    expect(page.locator("#file-tree .tree-file").first).to_be_visible(timeout=DONE_MS)
    stop.click()
    expect(page.locator("#progress")).to_have_attribute("data-status", "cancelled", timeout=10_000)
    expect(page.locator("#progress .step-cancelled")).to_have_count(1)
    expect(stop).to_be_hidden()
    expect(page.locator("#send-button")).to_be_enabled()
    expect(page.locator(".note-cancelled")).to_be_visible()


def test_developer_console_toggles_and_lists_events(page: Page, live_server: Server) -> None:
    project_id = create_project(live_server)
    wait_for_status(live_server, project_id, 1, "complete")
    page.goto(f"{live_server.url}/projects/{project_id}")
    expect_complete(page, 1)
    console = page.locator("#dev-console")
    expect(console).to_be_hidden()
    page.keyboard.press("Control+Shift+D")
    expect(console).to_be_visible()
    expect(page.locator("#dev-connection")).to_contain_text("open")
    rows = page.locator("#dev-events .dev-row")
    expect(rows.first).to_be_visible()
    assert rows.count() > 5
    page.locator("#dev-events .dev-row", has_text="version:start").first.click()
    expect(page.locator("#dev-inspector")).to_contain_text('"type": "version:start"')
    expect(page.locator("#dev-metrics")).to_contain_text("Time to first event")
    with page.expect_download() as download:
        page.locator("#dev-export").click()
    assert download.value.suggested_filename.endswith(".json")

    page.reload()
    expect(console).to_be_visible()  # the preference survives a reload
    page.keyboard.press("Control+Shift+D")
    expect(console).to_be_hidden()
    page.goto(f"{live_server.url}/projects/{project_id}?debug=true")
    expect(console).to_be_visible()


def test_killed_stream_reconnects_then_falls_back_to_polling_and_recovers(
    page: Page, slow_server: Server
) -> None:
    with DroppingProxy(slow_server.port) as proxy:
        project_id = create_project(slow_server)
        page.goto(f"{proxy.url}/projects/{project_id}")
        badge = page.locator("#connection-state")
        expect(badge).to_have_attribute("data-state", "open", timeout=10_000)
        expect(page.locator("#file-tree .tree-file").first).to_be_visible(timeout=DONE_MS)
        proxy.cut(refuse_for_s=0.5)
        expect(badge).to_have_attribute("data-state", "reconnecting", timeout=5000)
        expect(badge).to_have_text("Reconnecting…")
        expect(badge).to_have_attribute("data-state", "open", timeout=10_000)
        proxy.cut(refuse_for_s=3.0)
        expect(badge).to_have_attribute("data-state", "polling", timeout=10_000)
        expect(badge).to_have_attribute("data-state", "open", timeout=15_000)
        expect_complete(page, 1)
        files = files_of(slow_server, project_id, 1)
        expect_tree(page, set(files))
        path = sorted(files)[-1]
        expect_file_shown(page, path, files[path])


def test_narrow_screen_uses_tabs(page: Page, live_server: Server, artifacts: Path) -> None:
    project_id = create_project(live_server)
    wait_for_status(live_server, project_id, 1, "complete")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/projects/{project_id}")
    expect_complete(page, 1)
    expect(page.locator("#chat-col")).to_be_visible()
    expect(page.locator("#code-col")).to_be_hidden()
    page.screenshot(path=artifacts / "narrow-chat.png")
    page.locator("#tab-code").click()
    expect(page.locator("#code-col")).to_be_visible()
    expect(page.locator("#chat-col")).to_be_hidden()
    expect(page.locator("#code-content")).to_have_attribute("data-complete", "true")
    page.screenshot(path=artifacts / "narrow-code.png")
    page.locator("#tab-code").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#chat-col")).to_be_visible()


@pytest.mark.slow
@pytest.mark.sandbox
def test_try_it_sends_a_request_through_the_preview(
    page: Page, preview_server: ServerProcess, preview_project: str, artifacts: Path
) -> None:
    project_id = preview_project
    page.goto(f"{preview_server.url}/projects/{project_id}")
    expect_complete(page, 1)
    tab = page.locator("#ptab-tryit")
    expect(tab).to_be_enabled(timeout=DONE_MS)
    tab.click()
    routes = page.locator("#tryit-routes .route-btn")
    expect(routes.first).to_be_visible(timeout=10_000)
    listing = page.locator("#tryit-routes .route-btn[data-route^='GET /']").filter(has_not_text="{")
    listing.first.click()
    page.locator("#tryit-send").click()
    expect(page.locator("#tryit-status")).to_have_text(re.compile(r"^200\b"), timeout=10_000)
    expect(page.locator("#tryit-response")).not_to_be_empty()
    page.locator(".tryit-headers summary").click()
    expect(page.locator(".tryit-headers pre")).to_contain_text("content-type")
    page.screenshot(path=artifacts / "try-it.png")


def _wait_serving(server: ServerProcess, project_id: str, number: int) -> None:
    """Until the generation of ``number`` ended and its own preview started (sandbox: slow)."""
    url = f"{server.url}/api/projects/{project_id}/versions/{number}/preview"
    deadline = time.monotonic() + 180
    # Not the partial preview the version runs while its code still streams: the validated one.
    while (state := httpx.get(url, timeout=10).json())["state"] != "running" or state["partial"]:
        assert time.monotonic() < deadline, state
        time.sleep(0.2)


def _route_names(page: Page) -> set[str]:
    names: list[str] = page.locator("#tryit-routes .route-btn").evaluate_all(
        "buttons => buttons.map(b => b.dataset.route)"
    )
    return set(names)


def _start_preview_of(page: Page, number: int, serving: int, shots: Path, name: str) -> set[str]:
    """The pane offers to start ``number`` (while ``serving`` runs); start it, return its routes."""
    expect(page.locator("#preview-state")).to_have_text(
        f"The preview of version {number} is not running."
    )
    expect(page.locator("#preview-start")).to_contain_text(f"serves version {serving}")
    page.screenshot(path=shots / f"{name}-before.png")
    page.locator("#tryit-start").click()
    # Painted before the request leaves; the sandbox boot takes seconds, so this is still up.
    expect(page.locator("#preview-state")).to_contain_text(
        f"Starting the preview of version {number}"
    )
    page.screenshot(path=shots / f"{name}-starting.png")
    label = page.locator("#tryit-label")
    expect(label).to_contain_text(f"Preview of version {number}", timeout=60_000)
    expect(label).to_have_attribute("data-version", str(number))
    expect(page.locator("#tryit-routes .route-btn").first).to_be_visible()
    page.screenshot(path=shots / f"{name}-after.png")
    return _route_names(page)


@pytest.mark.slow
@pytest.mark.sandbox
def test_try_it_starts_the_preview_of_the_selected_version(
    page: Page, preview_server: ServerProcess, preview_project: str, artifacts: Path
) -> None:
    project_id = preview_project
    _wait_serving(preview_server, project_id, 1)
    follow_up = httpx.post(
        f"{preview_server.url}/api/projects/{project_id}/versions", json={"prompt": FOLLOW_UP}
    )
    assert follow_up.status_code == 202, follow_up.text
    _wait_serving(preview_server, project_id, 2)  # v2's preview replaced v1's
    page.goto(f"{preview_server.url}/projects/{project_id}")
    expect_complete(page, 2)
    page.locator("#ptab-tryit").click()
    expect(page.locator("#tryit-label")).to_contain_text("Preview of version 2", timeout=10_000)
    latest_routes = _route_names(page)

    page.select_option("#version-select", "1")
    old_routes = _start_preview_of(page, 1, 2, artifacts, "try-it-start-desktop")
    assert "GET /health" in latest_routes - old_routes  # the old version's own app answers

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator("#tab-code").click()
    page.locator("#ptab-tryit").click()  # the latest version is selected; v1 serves now
    assert _start_preview_of(page, 2, 1, artifacts, "try-it-start-narrow") == latest_routes


def test_try_it_says_why_there_is_no_preview(
    page: Page, live_server: Server, artifacts: Path
) -> None:
    project_id = create_project(live_server)
    wait_for_status(live_server, project_id, 1, "complete")
    page.goto(f"{live_server.url}/projects/{project_id}")
    expect_complete(page, 1)
    page.locator("#ptab-tryit").click()
    expect(page.locator("#preview-state")).to_contain_text("Previews are off")
    expect(page.locator("#tryit-start")).to_have_count(0)
    page.screenshot(path=artifacts / "try-it-previews-off.png")
