"""Chromium (Debian's, through Playwright) for the browser tests; skipped when it is missing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright

from tests.browser.helpers import create_project
from tests.generation.scripted_thread import ThreadedScriptedServer
from tests.server_process import NO_LIMITS, ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}


# Package scope: the sync driver keeps an event loop running, which must be gone before the
# asyncio tests of other packages start.
@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium (apt-get install chromium)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    chromium = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield chromium
    chromium.close()


@contextmanager
def open_page(browser: Browser, **context_options: Any) -> Iterator[Page]:
    """A fresh desktop-sized tab; fails the test on any uncaught error in the page, and on any
    Content-Security-Policy violation (the UI must work under apiforge's own policy)."""
    context = browser.new_context(viewport=DESKTOP, **context_options)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on(
        "console", lambda m: errors.extend([m.text] if "Content Security Policy" in m.text else [])
    )
    yield tab
    context.close()
    assert not errors, f"uncaught errors or CSP violations in the page: {errors}"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with open_page(browser) as tab:
        yield tab


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@dataclass
class BrowserServers:
    live: ServerProcess
    slow: ServerProcess
    preview: ServerProcess | None
    # Sandbox previews and the scripted model (``scripted_model``) as its provider: the
    # progressive preview's test holds the stream open at a Gate while the Try it pane answers.
    streaming_preview: ServerProcess | None = None
    # Created as soon as the preview server is up: its sandbox validation then runs while the
    # other tests do, and the Try-it test (last) finds the preview ready.
    preview_project_id: str = ""


@pytest.fixture(scope="package")
def scripted_model() -> Iterator[ThreadedScriptedServer]:
    """A scripted OpenAI-protocol model for the package (tests/conftest.py's ``model`` is
    module-scoped, too short-lived for a package's servers)."""
    model = ThreadedScriptedServer()
    model.start()
    yield model
    model.stop()


@pytest.fixture(scope="package")
def browser_servers(
    tmp_path_factory: pytest.TempPathFactory, scripted_model: ThreadedScriptedServer
) -> Iterator[BrowserServers]:
    """The package's servers, started side by side: each start is mostly spent importing, so
    starting them together saves most of the serial start-up time."""
    root = tmp_path_factory.mktemp("browser-servers")
    servers = BrowserServers(
        live=ServerProcess(root / "live", env=NO_LIMITS),
        slow=ServerProcess(root / "slow", env={"APIFORGE_ENGINE_DELAY_MS": "15", **NO_LIMITS}),
        preview=None,
    )
    if shutil.which("bwrap") is not None:
        servers.preview = ServerProcess(
            root / "preview", env={"APIFORGE_VALIDATOR": "sandbox", **NO_LIMITS}
        )
        servers.streaming_preview = ServerProcess(
            root / "streaming-preview",
            env={"APIFORGE_VALIDATOR": "sandbox", **scripted_model.openai_env(), **NO_LIMITS},
        )
    candidates = (servers.live, servers.slow, servers.preview, servers.streaming_preview)
    every = [server for server in candidates if server]
    try:
        with ThreadPoolExecutor(max_workers=len(every)) as pool:
            for started in [pool.submit(server.start) for server in every]:
                started.result()
        if servers.preview is not None:
            servers.preview_project_id = create_project(servers.preview)
        yield servers
    finally:
        for server in every:
            server.stop()


# These shadow the session-wide servers of tests/conftest.py for the browser tests only.
@pytest.fixture(scope="package")
def live_server(browser_servers: BrowserServers) -> ServerProcess:
    """Offline engine, no validator: generations finish in a moment."""
    return browser_servers.live


@pytest.fixture(scope="package")
def slow_server(browser_servers: BrowserServers) -> ServerProcess:
    """The offline engine typing slowly, so a generation is still running mid-test."""
    return browser_servers.slow


@pytest.fixture(scope="package")
def preview_server(browser_servers: BrowserServers) -> ServerProcess:
    """Validates in the sandbox and runs previews (needs bubblewrap)."""
    if browser_servers.preview is None:
        pytest.skip("previews need bubblewrap")
    return browser_servers.preview


@pytest.fixture(scope="package")
def streaming_preview_server(browser_servers: BrowserServers) -> ServerProcess:
    """Runs previews; its model is ``scripted_model``, whose replies the test scripts."""
    if browser_servers.streaming_preview is None:
        pytest.skip("previews need bubblewrap")
    return browser_servers.streaming_preview


@pytest.fixture(scope="package")
def preview_project(browser_servers: BrowserServers, preview_server: ServerProcess) -> str:
    """A project on the preview server, generating since the package started."""
    return browser_servers.preview_project_id
