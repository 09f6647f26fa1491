"""The developer console's timeline draws a real generation from its events' own timestamps:
one span per step, each event type on its lane, and the generation's true event rate; and its
provider calls, as spans and as a table with their tokens and timing and the version's totals."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import Server, create_project, expect_complete, wait_for_status
from tests.sse_reader import TERMINAL


def version_events(server: Server, project_id: str, number: int) -> list[dict[str, Any]]:
    """The version's events as the stream replays them, through its terminal one."""
    events: list[dict[str, Any]] = []
    with httpx.stream("GET", f"{server.url}/api/stream/{project_id}", timeout=10) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line.removeprefix("data: ")))
                if events[-1]["type"] in TERMINAL and events[-1]["version_number"] == number:
                    break
    return [event for event in events if event["version_number"] == number]


def test_timeline_shows_each_step_and_the_true_event_rate(page: Page, live_server: Server) -> None:
    project_id = create_project(live_server)
    wait_for_status(live_server, project_id, 1, "complete")
    events = version_events(live_server, project_id, 1)
    # The page replays the finished generation in one burst: the rate must not be the burst's.
    page.goto(f"{live_server.url}/projects/{project_id}?debug=true")
    expect_complete(page, 1)
    summary = page.locator("#dev-timeline-summary")
    expect(summary).to_have_attribute("data-ended", "true")
    assert summary.get_attribute("data-events") == str(len(events))
    steps = [event["step"] for event in events if event["type"] == "step:start"]
    spans = page.locator("#dev-timeline .dev-tl-span")
    assert spans.evaluate_all("spans => spans.map(span => span.dataset.step)") == steps
    assert page.locator("#dev-steps .dev-step").count() == len(steps)
    chunks = sum(event["type"] == "code:chunk" for event in events)
    code_lane = page.locator('#dev-timeline .dev-tl-lane[data-lane="code"]')
    assert code_lane.get_attribute("data-events") == str(chunks) and chunks > 0
    seconds = events[-1]["ts"] - events[0]["ts"]
    rate = float(summary.get_attribute("data-rate") or "nan")
    assert rate == pytest.approx(len(events) / seconds, abs=0.06)
    expect(page.locator("#dev-metrics")).to_contain_text(f"Events / s (v1){rate:.1f}")
    check_call_table(page, events)


def check_call_table(page: Page, events: list[dict[str, Any]]) -> None:
    """The offline engine's one call: a row with its figures, a span, the version's totals."""
    (call,) = [event for event in events if event["type"] == "provider:call"]
    rows = page.locator("#dev-calls .dev-call")
    expect(rows).to_have_count(1)
    cells = rows.first.locator("td").all_inner_texts()
    took = f"{call['duration_ms']:,} ms"
    assert cells == ["0", "offline", "0", "0", f"{call['first_token_ms']:,} ms", took, "ok"]
    usage = events[-1]["usage"]
    total = page.locator("#dev-calls .dev-calls-total")
    assert total.get_attribute("data-calls") == "1"
    assert total.get_attribute("data-tokens-in") == str(usage["prompt_tokens"])
    assert total.get_attribute("data-tokens-out") == str(usage["completion_tokens"])
    expect(total).to_contain_text("$0")  # the offline engine costs nothing
    lane = page.locator('#dev-timeline .dev-tl-lane[data-lane="calls"]')
    assert lane.get_attribute("data-events") == "1"
    expect(lane.locator(".dev-tl-call")).to_have_count(1)
