"""What a web page can do to a password-mode server through a signed-in user's browser, in real
Chromium. The page is served from two places: ``attacker.example`` (another site: the
``SameSite=Strict`` cookie stays home) and another port of 127.0.0.1 (the same site, another
origin: the cookie goes along, so the CSRF token and the WebSocket's Origin check are what stop
it). Each attack is checked to have reached the server and to have changed nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

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
from tests.browser.helpers import DONE_MS, PROMPT
from tests.core.accounts_server import AccountsServer, password_of, running_accounts_server

pytestmark = pytest.mark.browser

# Where the page comes from → what a cookie-less or token-less cookie write gets.
ORIGINS = {
    ATTACKER: (401, "unauthenticated"),  # another site: the browser sends no cookie
    "127.0.0.1": (403, "csrf_refused"),  # the same site: the cookie, but no CSRF token
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccountsServer]:
    # Paced, so a generation is still running when the cross-site cancel arrives.
    env = {"APIFORGE_ENGINE_DELAY_MS": "15"}
    data_dir = tmp_path_factory.mktemp("password-attacks")
    with running_accounts_server(data_dir, ("alice", "mallory"), env) as served:
        yield served


@pytest.fixture(scope="module")
def rebinding_browser(playwright_driver: Playwright) -> Iterator[Browser]:
    with rebinding_chromium(playwright_driver) as chromium:
        yield chromium


@pytest.fixture
def site() -> Iterator[tuple[int, type[AttackPage]]]:
    with attack_site() as served:
        yield served


@pytest.fixture
def alice(rebinding_browser: Browser, server: AccountsServer) -> Iterator[Page]:
    """A tab of a browser in which alice is signed in (her real session cookie)."""
    secret = server.headers_of("alice")["Cookie"].split("=", 1)[1]
    with open_page(rebinding_browser) as page:
        page.context.add_cookies(
            [
                {
                    "name": "apiforge_session",
                    "value": secret,
                    "url": server.url,
                    "httpOnly": True,
                    "sameSite": "Strict",
                }
            ]
        )
        page.goto(f"{server.url}/")
        assert page.evaluate(PROBE, ["GET", "/api/auth/me"]) == 200
        yield page


def _api(server: AccountsServer, path: str) -> Any:
    answer = httpx.get(f"{server.url}{path}", headers=server.headers_of("alice"), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _new_project(server: AccountsServer) -> str:
    made = httpx.post(
        f"{server.url}/api/projects",
        json={"prompt": PROMPT},
        headers=server.headers_of("alice"),
        timeout=10,
    )
    assert made.status_code == 201, made.text
    project_id: str = made.json()["project"]["id"]
    return project_id


def _status(server: AccountsServer, project_id: str) -> str:
    status: str = _api(server, f"/api/projects/{project_id}/versions/1")["version"]["status"]
    return status


def _wait_settled(server: AccountsServer, project_id: str) -> str:
    deadline = time.monotonic() + DONE_MS / 1000
    while (status := _status(server, project_id)) in ("pending", "generating", "validating"):
        assert time.monotonic() < deadline, f"v1 still {status}"
        time.sleep(0.1)
    return status


def _form_post(page: Page, origin: str, site: tuple[int, type[AttackPage]], action: str) -> Any:
    """The attacking page posts a text/plain form that reads as JSON to ``action``; returns the
    response the browser got."""
    port, handler = site
    handler.html = f"""<!doctype html><body>
<form id="f" method="POST" action="{action}" enctype="text/plain">
  <input name='{{"username": "mallory", "password": "{password_of("mallory")}", "x": "'
         value='"}}'></form>
<script>onload = () => setTimeout(() => document.getElementById("f").submit(), 50);</script>
</body>""".encode()
    with page.expect_navigation(url=action) as navigation:
        page.goto(f"http://{origin}:{port}/")
    return navigation.value


@pytest.mark.parametrize("origin", ORIGINS)
def test_cross_site_form_posts_to_write_routes_change_nothing(
    alice: Page, server: AccountsServer, site: tuple[int, type[AttackPage]], origin: str
) -> None:
    status, code = ORIGINS[origin]
    project_id = _new_project(server)
    base = f"{server.url}/api/projects/{project_id}"
    cancelled = _form_post(alice, origin, site, f"{base}/cancel")
    assert (cancelled.status, code in alice.content()) == (status, True)
    assert _wait_settled(server, project_id) == "complete"
    restored = _form_post(alice, origin, site, f"{base}/versions/1/restore")
    assert (restored.status, code in alice.content()) == (status, True)
    # A form cannot DELETE, and a script's cross-origin DELETE needs a preflight that apiforge
    # never grants: the browser does not send it.
    site[1].html = b"<!doctype html><title>a page alice visits</title>"
    alice.goto(f"http://{origin}:{site[0]}/")
    assert alice.evaluate(PROBE, ["DELETE", base]) == "blocked"
    versions = _api(server, f"/api/projects/{project_id}/versions")["versions"]
    assert [(v["number"], v["status"]) for v in versions] == [(1, "complete")]


@pytest.mark.parametrize("origin", ORIGINS)
def test_login_csrf_signs_nobody_in(
    alice: Page, server: AccountsServer, site: tuple[int, type[AttackPage]], origin: str
) -> None:
    login = f"{server.url}/api/auth/login"
    landed = _form_post(alice, origin, site, login)
    # Sign-in reads JSON only; text/plain, which a form may send without a preflight, is not.
    assert landed.status == 422, alice.content()
    assert "set-cookie" not in landed.all_headers()
    alice.goto(f"{server.url}/")
    me = alice.evaluate("async () => (await (await fetch('/api/auth/me')).json()).username")
    assert me == "alice"


@pytest.mark.parametrize("origin", ORIGINS)
def test_a_cross_site_websocket_with_the_cookie_is_refused(
    alice: Page, server: AccountsServer, site: tuple[int, type[AttackPage]], origin: str
) -> None:
    project_id = _new_project(server)
    ws_url = f"ws://127.0.0.1:{server.port}/api/ws/{project_id}"
    port, handler = site
    handler.html = b"<!doctype html><title>a page alice visits</title>"
    alice.goto(f"http://{origin}:{port}/")
    assert alice.evaluate(OPEN_WEBSOCKET, ws_url) == "refused"
    # From apiforge's own page the same socket, with the same cookie, opens.
    alice.goto(f"{server.url}/")
    assert alice.evaluate(OPEN_WEBSOCKET, ws_url) == "open"
