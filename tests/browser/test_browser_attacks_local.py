"""What a web page the user merely visits can do to a local-mode server, in real Chromium.

Each attack is also run the way the server must still allow (its own pages), so a test that
passes cannot be one whose attack never reached the server.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright

from tests.browser.attack_site import (
    ATTACKER,
    OPEN_WEBSOCKET,
    PROBE,
    AttackPage,
    attack_site,
    rebinding_chromium,
)
from tests.browser.conftest import open_page
from tests.browser.helpers import Server, create_project, wait_for_status

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def rebinding_browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """A Chromium whose resolver sends attacker.example to 127.0.0.1, as a rebinding DNS
    server would once the attacker's page has loaded."""
    with rebinding_chromium(playwright_driver) as chromium:
        yield chromium


@pytest.fixture
def attacker_site() -> Iterator[tuple[str, type[AttackPage]]]:
    """Another origin (another port of 127.0.0.1) serving whatever page a test sets."""
    with attack_site() as (port, handler):
        yield f"http://127.0.0.1:{port}", handler


def _versions(server: Server, project_id: str) -> list[int]:
    url = f"{server.url}/api/projects/{project_id}/versions"
    listed = httpx.get(url, timeout=5).json()["versions"]
    return sorted(version["number"] for version in listed)


def test_dns_rebinding_page_gets_403(rebinding_browser: Browser, live_server: Server) -> None:
    project_id = create_project(live_server)
    with open_page(rebinding_browser) as page:
        document = page.goto(f"http://{ATTACKER}:{live_server.port}/")
        assert document is not None and document.status == 403
        # Same origin as far as the browser knows: it would let the page read every answer.
        for method, path in [("GET", "/api/projects"), ("GET", f"/api/projects/{project_id}")]:
            assert page.evaluate(PROBE, [method, path]) == 403
        assert page.evaluate(PROBE, ["DELETE", f"/api/projects/{project_id}"]) == 403
        # The same tab under the server's own name is served.
        page.goto(f"{live_server.url}/")
        assert page.evaluate(PROBE, ["GET", f"/api/projects/{project_id}"]) == 200
    assert httpx.get(f"{live_server.url}/api/projects/{project_id}").status_code == 200


def test_cross_site_form_and_no_cors_posts_change_nothing(
    page: Page, live_server: Server, attacker_site: tuple[str, type[AttackPage]]
) -> None:
    project_id = create_project(live_server)
    wait_for_status(live_server, project_id, 1, "complete")
    restore = f"{live_server.url}/api/projects/{project_id}/versions/1/restore"
    site, handler = attacker_site
    handler.html = f"""<!doctype html><body>
<form id="f" method="POST" action="{restore}" enctype="text/plain">
  <input name='{{"x": "' value='"}}'></form>
<script>
  fetch("{restore}", {{ method: "POST", mode: "no-cors", body: "{{}}" }});
  setTimeout(() => document.getElementById("f").submit(), 300);
</script></body>""".encode()
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if r.url == restore else None)
    with page.expect_navigation(url=restore) as navigation:
        page.goto(f"{site}/")
    landed = navigation.value
    assert landed is not None and landed.status == 403
    assert statuses == [403, 403]  # the fetch, then the form: both reached the server
    assert "cross_origin_refused" in page.content()
    assert _versions(live_server, project_id) == [1]


def test_cross_site_websocket_is_refused(
    page: Page, live_server: Server, attacker_site: tuple[str, type[AttackPage]]
) -> None:
    project_id = create_project(live_server)
    ws_url = f"ws://127.0.0.1:{live_server.port}/api/ws/{project_id}"
    site, handler = attacker_site
    handler.html = b"<!doctype html><title>a page the user visits</title>"
    page.goto(f"{site}/")
    assert page.evaluate(OPEN_WEBSOCKET, ws_url) == "refused"
    # From the server's own page the same socket opens.
    page.goto(f"{live_server.url}/")
    assert page.evaluate(OPEN_WEBSOCKET, ws_url) == "open"
