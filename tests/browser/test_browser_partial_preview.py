"""The progressive preview in real Chromium: the Try it pane answers requests while the code is
still streaming (labelled partial), and the routes of a later file show up and answer too.

Its server (tests/browser/conftest.py ``streaming_preview_server``: sandbox validator) speaks to
the package's scripted OpenAI-protocol model, whose replies stop at a ``Gate`` until the test has
sent its request from the pane: "before the last file streamed" is a fact of the script, not a
race with the machine's load.
Version 1 is stopped once its partial preview answered (which stops that preview); version 2's
``app/main.py`` imports a loans router that lands only after a second gate: the pane then reads
the preview's routes again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import create_project, wait_for_status
from tests.generation.scripted_app import gated_reply
from tests.generation.scripted_thread import ThreadedScriptedServer
from tests.providers.scripted_server import Gate
from tests.server_process import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]
PREVIEW_MS = 60_000  # a sandbox boot on a loaded 2-core machine, with room to spare

BOOKS_APP = dedent(
    """\
    from fastapi import FastAPI

    app = FastAPI(title="Library")


    @app.get("/books")
    def books() -> list[str]:
        return ["Dune"]
    """
)
LOANS_APP = (
    BOOKS_APP.replace(
        "from fastapi import FastAPI\n",
        "from fastapi import FastAPI\n\nfrom app.loans import router\n",
    )
    + "\n\napp.include_router(router)\n"
)
LOANS_ROUTER = dedent(
    """\
    from fastapi import APIRouter

    router = APIRouter()


    @router.get("/loans")
    def loans() -> list[str]:
        return []
    """
)
REST = (
    '<file path="tests/__init__.py">\n</file>\n'
    '<file path="tests/test_books.py">\ndef test_nothing() -> None:\n    pass\n</file>\n'
    "<summary>A library.</summary>\n"
)


def file_tag(path: str, text: str) -> str:
    return f'<file path="{path}">\n{text}</file>\n'


def opening(*files: tuple[str, str]) -> str:
    base = [("requirements.txt", "fastapi\nuvicorn\n"), ("app/__init__.py", "")]
    return "A library API.\n" + "".join(file_tag(path, text) for path, text in [*base, *files])


@pytest.fixture
def model(scripted_model: ThreadedScriptedServer) -> Iterator[ThreadedScriptedServer]:
    scripted_model.scripted.replies.clear()
    yield scripted_model
    scripted_model.scripted.replies.clear()


def wait_for_file(server: ServerProcess, project_id: str, version: int, path: str) -> None:
    """Until the project's event stream says ``path`` of ``version`` landed."""
    url = f"{server.url}/api/stream/{project_id}"
    with httpx.stream("GET", url, timeout=PREVIEW_MS / 1000) as response:
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            event = json.loads(line.removeprefix("data: "))
            landed = event["type"] == "file:complete" and event["path"] == path
            if landed and event["version_number"] == version:
                return
    raise AssertionError(f"the stream ended before {path} of version {version} landed")


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


def assert_still_streaming(server: ServerProcess, project_id: str, version: int) -> None:
    status = stream_status(server, project_id)
    assert status["generation"]["step"] == "generating", status
    assert status["preview"]["partial"] is True, status
    assert status["preview"]["serving_version"] == version, status


def test_try_it_answers_while_the_code_still_streams(
    page: Page,
    streaming_preview_server: ServerProcess,
    model: ThreadedScriptedServer,
    artifacts: Path,
) -> None:
    server = streaming_preview_server
    first, main_landed, router_landed = Gate(), Gate(), Gate()
    model.scripted.script(
        gated_reply(opening(("app/main.py", BOOKS_APP)), first, REST),
        gated_reply(
            opening(("app/main.py", LOANS_APP)),
            main_landed,
            file_tag("app/loans.py", LOANS_ROUTER),
            router_landed,
            REST,
        ),
    )
    project_id = create_project(server)
    try:
        page.goto(f"{server.url}/projects/{project_id}")
        page.locator("#ptab-tryit").click()
        first_version_answers_then_stops(page, server, project_id)
        page.screenshot(path=artifacts / "try-it-partial.png")
        later_file_adds_a_route(page, server, project_id, main_landed)
        page.screenshot(path=artifacts / "try-it-partial-later-route.png")
        # Stopped rather than validated: what follows the stream is other tests' business.
        httpx.post(f"{server.url}/api/projects/{project_id}/cancel", timeout=10).raise_for_status()
        wait_for_status(server, project_id, 2, "cancelled")
    finally:
        for gate in (first, main_landed, router_landed):
            gate.opened.set()


def first_version_answers_then_stops(page: Page, server: ServerProcess, project_id: str) -> None:
    send_from_partial_preview(page, 1, "GET /books")
    # The reply waits at its gate: the request was answered before the last file streamed.
    assert_still_streaming(server, project_id, 1)
    httpx.post(f"{server.url}/api/projects/{project_id}/cancel", timeout=10).raise_for_status()
    wait_for_status(server, project_id, 1, "cancelled")
    assert stream_status(server, project_id)["preview"]["state"] == "stopped"


def later_file_adds_a_route(
    page: Page, server: ServerProcess, project_id: str, main_landed: Gate
) -> None:
    """Version 2's app/main.py imports app/loans.py, which lands later and adds GET /loans."""
    url = f"{server.url}/api/projects/{project_id}/versions"
    follow_up = httpx.post(url, json={"prompt": "Add loans"}, timeout=10)
    assert follow_up.status_code == 202, follow_up.text
    wait_for_file(server, project_id, 2, "app/main.py")
    # Its app cannot boot yet (the router it imports is not written): nothing serves it.
    assert stream_status(server, project_id)["preview"]["serving_version"] is None
    main_landed.opened.set()
    send_from_partial_preview(page, 2, "GET /loans")
    assert_still_streaming(server, project_id, 2)
