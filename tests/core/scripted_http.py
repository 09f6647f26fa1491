"""A tiny real HTTP server that answers what a test scripts and records what it was sent.

For what apiforge itself does not answer (yet): a 403 or a 429 on any route, and a look at the
headers a client really sends (its bearer token, on the event stream too).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    authorization: str | None


class ScriptedServer:
    def __init__(self, answers: dict[str, Answer]) -> None:
        self.answers = answers  # by path, query left out
        self.seen: list[Seen] = []
        self.url = ""

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        self.seen.append(Seen(handler.command, path, handler.headers.get("Authorization")))
        answer = self.answers.get(
            path, Answer(404, b'{"error": {"code": "not_found", "message": "nothing here"}}')
        )
        handler.send_response(answer.status)
        handler.send_header("Content-Type", answer.content_type)
        handler.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(answer.body)


def _handler_of(scripted: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            scripted.answer(self)

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            scripted.answer(self)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Quiet: the test reads ``seen``, not a log."""

    return Handler


@contextmanager
def scripted_server(answers: dict[str, Answer]) -> Iterator[ScriptedServer]:
    scripted = ScriptedServer(answers)
    http = ThreadingHTTPServer(("127.0.0.1", 0), _handler_of(scripted))
    scripted.url = f"http://127.0.0.1:{http.server_address[1]}"
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield scripted
    finally:
        http.shutdown()
        http.server_close()
        thread.join()
