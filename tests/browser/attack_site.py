"""What the browser attack tests share: another site serving whatever page a test sets, a
Chromium whose resolver sends that site's name to 127.0.0.1 (as a rebinding DNS server would),
and the scripts an attacking page runs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from playwright.sync_api import Browser, Playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

ATTACKER = "attacker.example"

# Every request the page makes reports what the page learnt: a status, or that it was refused.
PROBE = """async ([method, url]) => {
  try {
    const response = await fetch(url, { method });
    return response.status;
  } catch (error) {
    return "blocked";
  }
}"""

OPEN_WEBSOCKET = """(url) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  ws.onopen = () => { ws.close(); resolve("open"); };
  ws.onerror = () => resolve("refused");
})"""


class AttackPage(BaseHTTPRequestHandler):
    html = b""

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.html)))
        self.end_headers()
        self.wfile.write(self.html)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def rebinding_chromium(playwright: Playwright) -> Iterator[Browser]:
    rules = f"--host-resolver-rules=MAP {ATTACKER} 127.0.0.1"
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, rules], headless=True
    )
    try:
        yield chromium
    finally:
        chromium.close()


@contextmanager
def attack_site() -> Iterator[tuple[int, type[AttackPage]]]:
    """A site on its own port of 127.0.0.1: its port, and the handler whose ``html`` it serves."""
    handler = type("AttackPage", (AttackPage,), {})
    site = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield site.server_address[1], handler
    finally:
        site.shutdown()
        site.server_close()
        thread.join(timeout=5)
