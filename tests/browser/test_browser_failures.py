"""Failed versions, the server's `error` event, validation progress and the prompt boxes' rules.

The server here validates with tests.generation.scripted_validator.py: every version fails at the
fuzz stage after the other five passed, each stage taking STAGE_MS, so the failure and the
bar's steps are the same on every run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import DONE_MS, FOLLOW_UP, Server, create_project, wait_for_status
from tests.server_process import ServerProcess

pytestmark = pytest.mark.browser

STAGE_MS = 300
FUZZ_ERROR = "POST /books answered 500 for a valid body"
UNREADABLE = "hello there, how are you?"
# Every value the progress bar and the timing line take, recorded from the first script run.
RECORD_PROGRESS = """
window.__bars = []; window.__timings = [];
new MutationObserver(() => {
  const bar = document.querySelector("#progress .progress-bar");
  const timing = document.querySelector("#progress-timing");
  const status = document.querySelector("#progress")?.dataset.status;
  if (bar && status === "validating") window.__bars.push(Number(bar.getAttribute("aria-valuenow")));
  if (timing && status === "validating") window.__timings.push(timing.textContent);
}).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
"""


@pytest.fixture(scope="module")
def failing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {
        "APIFORGE_VALIDATOR": "tests.generation.scripted_validator:ScriptedValidator",
        "APIFORGE_TEST_FAIL_STAGE": "fuzz",
        "APIFORGE_TEST_STAGE_DELAY_MS": str(STAGE_MS),
    }
    server = ServerProcess(tmp_path_factory.mktemp("failing-server"), env=env)
    server.start()
    yield server
    server.stop()


def open_project(page: Page, server: Server, project_id: str) -> None:
    page.goto(f"{server.url}/projects/{project_id}")


def expect_failed(page: Page, number: int) -> None:
    progress = page.locator("#progress")
    expect(progress).to_have_attribute("data-version", str(number), timeout=DONE_MS)
    expect(progress).to_have_attribute("data-status", "failed", timeout=DONE_MS)


def step_states(page: Page) -> dict[str, str]:
    states: dict[str, str] = page.locator("#progress .step").evaluate_all(
        "steps => Object.fromEntries(steps.map(s => [s.dataset.step,"
        " [...s.classList].find(c => c.startsWith('step-') && c !== 'step').slice(5)]))"
    )
    return states


def test_failed_version_card_red_step_and_error_said_once(
    page: Page, failing_server: ServerProcess
) -> None:
    project_id = create_project(failing_server)
    open_project(page, failing_server, project_id)
    expect_failed(page, 1)
    assert step_states(page) == {
        "planning": "done",
        "generating": "done",
        "validating": "failed",
        "complete": "pending",
    }
    expect(page.locator("#progress-status")).to_have_text("v1: Failed at validating")
    card = page.locator(".version-card.failed[data-version='1']")
    expect(card.locator(".card-title")).to_have_text("Failed at Validating")
    block = page.locator("#chat-v1")
    # Once the stored reply has replaced the streamed one, the error is still said once.
    expect(block.locator(".msg.assistant .msg-text")).to_contain_text(FUZZ_ERROR)
    page.wait_for_timeout(300)
    assert page.locator("#app").inner_text().count(FUZZ_ERROR) == 1
    activity = block.locator(".activity li").all_inner_texts()
    assert "Validation failed at fuzz" in activity
    assert not any(text.startswith("Validated") or "saved" in text for text in activity)

    card.locator(".card-toggle").click()
    expect(card.locator(".card-file[data-path='app/main.py']")).to_be_visible()
    card.locator(".card-menu-btn").click()
    menu = card.locator(".menu-item")
    assert menu.evaluate_all("items => items.map(i => i.dataset.action)") == [
        "regenerate",
        "copy",
        "zip",
        "compare",
    ]
    with page.expect_download() as download:
        card.locator(".menu-item[data-action='zip']").click()
    assert download.value.suggested_filename.endswith(".zip")

    card.locator(".card-retry").click()
    expect_failed(page, 2)
    assert (
        httpx.get(f"{failing_server.url}/api/projects/{project_id}/versions/2").json()["version"][
            "origin"
        ]
        == "regenerate"
    )
    second = page.locator(".version-card.failed[data-version='2']")
    second.locator(".card-menu-btn").click()
    second.locator(".menu-item[data-action='compare']").click()
    expect(page.locator("#diff-pane")).to_be_visible()
    expect(page.locator("#diff-pane")).to_contain_text("v1")
    expect(page.locator("#connection-state")).to_have_text("Live")


def test_error_event_on_a_healthy_connection_is_not_a_reconnect(
    page: Page, failing_server: ServerProcess
) -> None:
    page.goto(failing_server.url)
    project_id = create_project(failing_server, UNREADABLE)
    open_project(page, failing_server, project_id)
    expect_failed(page, 1)
    badge = page.locator("#connection-state")
    expect(badge).to_have_text("Live")
    page.wait_for_timeout(1500)
    expect(badge).to_have_text("Live")
    assert step_states(page)["planning"] == "failed"
    card = page.locator(".version-card.failed[data-version='1']")
    expect(card.locator(".card-retry")).to_be_visible()
    reply = page.locator("#chat-v1 .msg.assistant .msg-text").inner_text()
    assert "could not find any resources" in reply
    assert page.locator("#app").inner_text().count("could not find any resources") == 1


def test_validation_stages_move_the_bar_and_time_left_is_measured(
    page: Page, failing_server: ServerProcess
) -> None:
    project_id = create_project(failing_server)
    wait_for_status(failing_server, project_id, 1, "failed")
    page.add_init_script(RECORD_PROGRESS)
    open_project(page, failing_server, project_id)
    expect_failed(page, 1)
    # The replayed v1 is this session's measured validation; v2 runs live.
    url = f"{failing_server.url}/api/projects/{project_id}/versions"
    assert httpx.post(url, json={"prompt": FOLLOW_UP}, timeout=10).status_code == 202
    expect_failed(page, 2)
    bars: list[int] = page.evaluate("() => window.__bars")
    during = [value for value in bars if 80 < value < 100]
    assert len(set(during)) >= 3, bars
    assert bars == sorted(bars), bars
    timings: list[str] = page.evaluate("() => window.__timings")
    assert any(re.search(r"about \d+ s left", text) for text in timings), timings


def test_first_validation_has_no_time_left_guess(page: Page, failing_server: ServerProcess) -> None:
    page.add_init_script(RECORD_PROGRESS)
    page.goto(failing_server.url)
    page.locator("#home-prompt").fill("A library API with books and members")
    page.locator("#home-send").click()
    expect_failed(page, 1)
    timings: list[str] = page.evaluate("() => window.__timings")
    assert timings and not any("left" in text for text in timings), timings


def test_empty_prompt_says_why_and_the_count_shows_the_limit(
    page: Page, failing_server: ServerProcess
) -> None:
    page.goto(failing_server.url)
    count = page.locator("#home-prompt-count")
    expect(count).to_have_text("0 / 8,000")
    page.locator("#home-prompt").fill("   ")
    page.locator("#home-send").click()
    expect(page.locator(".home-form .inline-status")).to_have_text(
        "Type a prompt first: describe the API, or the change you want."
    )
    assert page.url.rstrip("/") == failing_server.url
    page.locator("#home-prompt").fill("A todo API ✓")
    expect(count).to_have_text("12 / 8,000")
    page.locator("#home-prompt").fill("x" * 8001)
    expect(count).to_have_class(re.compile(r"\bover\b"))
    page.locator("#home-send").click()
    expect(page.locator(".home-form .inline-status")).to_have_text(
        "The prompt is 8,001 characters; the limit is 8,000."
    )

    project_id = create_project(failing_server, UNREADABLE)
    open_project(page, failing_server, project_id)
    expect_failed(page, 1)
    expect(page.locator("#chat-input-count")).to_have_text("0 / 8,000")
    page.locator("#send-button").click()
    expect(page.locator("#composer-status")).to_contain_text("Type a prompt first")
    page.locator("#chat-input").fill("add pagination")
    expect(page.locator("#chat-input-count")).to_have_text("14 / 8,000")
