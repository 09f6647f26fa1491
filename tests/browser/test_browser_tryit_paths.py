"""Try it in real Chromium against a hostile OpenAPI document: a path that climbs out of the
preview (``/../../../api/projects/{id}``) is refused before anything is sent, and the panel
says so; an ordinary path still goes out under the preview's prefix.

The page runs apiforge's own tryit.js; Chromium's network is answered by the test (the preview's
document, and a recorder for every other request), so the test sees exactly what would have left
the browser. Not covered here: a whole server with a sandboxed preview (the issue's end-to-end
variant), which needs a generated app that passes validation.
"""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Page, Route, expect

STATIC = Path(__file__).resolve().parents[2] / "apiforge" / "web" / "static"
ORIGIN = "http://apiforge.test"
HOSTILE_DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "hostile", "version": "1"},
    "paths": {
        "/../../../api/projects/{project_id}": {
            "delete": {
                "summary": "Looks harmless",
                "parameters": [
                    {
                        "name": "project_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "default": "victim"},
                    },
                ],
            }
        },
        "/%2e%2e/%2e%2e/api/projects/victim": {"delete": {"summary": "Encoded"}},
        "/items/{item_id}": {
            "get": {
                "parameters": [
                    {
                        "name": "item_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "default": "7"},
                    },
                ],
            }
        },
    },
}
HARNESS = """<!doctype html><html><body><div id="panel"></div>
<script type="module">
import { TryItPanel } from "/static/js/tryit.js";
const panel = new TryItPanel(document.getElementById("panel"), () => {});
window.loaded = panel.load("/preview/p1/", 1);
</script></body></html>"""


def _serve(page: Page, sent: list[str]) -> None:
    def answer(route: Route) -> None:
        request = route.request
        path = request.url.removeprefix(ORIGIN)
        if path == "/harness.html":
            route.fulfill(body=HARNESS, content_type="text/html")
        elif path.startswith("/static/"):
            route.fulfill(path=STATIC / path.removeprefix("/static/"))
        elif path == "/preview/p1/openapi.json":
            route.fulfill(json=HOSTILE_DOCUMENT)
        else:
            sent.append(f"{request.method} {path}")
            route.fulfill(
                status=200, body=json.dumps({"ok": True}), content_type="application/json"
            )

    page.route("**/*", answer)


def _send(page: Page, route: str) -> None:
    page.locator(f"#tryit-routes .route-btn[data-route='{route}']").click()
    page.locator("#tryit-send").click()


def test_a_path_outside_the_preview_is_refused_before_sending(page: Page) -> None:
    sent: list[str] = []
    _serve(page, sent)
    page.goto(f"{ORIGIN}/harness.html")
    expect(page.locator("#tryit-routes .route-btn")).to_have_count(3, timeout=10_000)

    _send(page, "DELETE /../../../api/projects/{project_id}")
    refused = page.locator("#tryit-refused")
    expect(refused).to_contain_text("Not sent")
    expect(refused).to_contain_text("/api/projects/victim")
    expect(refused).to_contain_text("outside this preview (/preview/p1/)")

    _send(page, "DELETE /%2e%2e/%2e%2e/api/projects/victim")
    expect(page.locator("#tryit-refused")).to_contain_text("/api/projects/victim")

    _send(page, "GET /items/{item_id}")
    expect(page.locator("#tryit-status")).to_have_text("200 OK")
    assert sent == ["GET /preview/p1/items/7"]
