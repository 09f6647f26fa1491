"""Password mode in real Chromium: the sign-in page, a project made and streamed with the
session cookie (and its CSRF token on every write), invisible to another user; sign-out."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import open_page
from tests.browser.helpers import DONE_MS, PROMPT, expect_complete
from tests.core.accounts_server import AccountsServer, password_of, running_accounts_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def password_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccountsServer]:
    env = {"APIFORGE_ENGINE_DELAY_MS": "15"}
    data_dir = tmp_path_factory.mktemp("password-ui")
    with running_accounts_server(data_dir, ("alice", "bob"), env) as server:
        yield server


def _sign_in(page: Page, server: AccountsServer, name: str) -> None:
    page.goto(f"{server.url}/")
    expect(page.locator("#login-username")).to_be_focused()
    page.fill("#login-username", name)
    page.fill("#login-password", "wrong password")
    page.click("#login-submit")
    expect(page.locator("#login-status")).to_contain_text("Wrong username or password")
    page.fill("#login-password", password_of(name))
    page.click("#login-submit")
    expect(page.locator("#home-prompt")).to_be_visible()
    expect(page.locator("#account-bar")).to_contain_text(name)


def test_sign_in_build_and_stay_private(browser: Browser, password_server: AccountsServer) -> None:
    with open_page(browser) as alice:
        _sign_in(alice, password_server, "alice")
        alice.fill("#home-prompt", PROMPT)
        alice.keyboard.press("Enter")
        alice.wait_for_url(re.compile(r"/projects/[^/]+$"), timeout=5000)
        project_id = alice.url.rsplit("/", 1)[1]
        # Streamed over EventSource, which has only the cookie to prove who it is.
        expect(alice.locator("#file-tree .tree-file").first).to_be_visible(timeout=DONE_MS)
        expect_complete(alice, 1)
        alice.goto(f"{password_server.url}/")
        mine = alice.locator(f'#recent-projects a[href="/projects/{project_id}"]')
        expect(mine).to_have_count(1)
        alice.click("#logout")
        expect(alice.locator("#login-username")).to_be_visible()
        alice.goto(f"{password_server.url}/projects/{project_id}")
        expect(alice.locator("#login-username")).to_be_visible()
    with open_page(browser) as bob:
        _sign_in(bob, password_server, "bob")
        expect(bob.locator("#recent-projects")).to_contain_text("No projects yet")
        bob.goto(f"{password_server.url}/projects/{project_id}")
        # Another user's project is answered as one that does not exist.
        expect(bob.locator("#app")).to_contain_text("Project not found")
        expect(bob.locator("#file-tree .tree-file")).to_have_count(0)
