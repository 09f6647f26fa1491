"""A real HTTP/1.1 server on a loopback port that plays scripted replies.

Each incoming request takes the next :class:`Reply`: a status, headers and steps — bytes to
send (as one chunk of a chunked body), pauses, a hang until the client leaves, or an abrupt
drop of the connection. The server records every request and notices when a client goes
away while a reply is still being served, which is how the tests prove cancel closes the
upstream stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Pause:
    seconds: float


@dataclass(frozen=True)
class Hang:
    """Send nothing more until the client disconnects."""


@dataclass(frozen=True)
class Drop:
    """Abort the connection mid-body (no terminating chunk)."""


@dataclass(frozen=True)
class Gate:
    """Send nothing more until the test opens it (from any thread), the client leaves, or
    ``limit_s`` passes: the test holds the reply at a point of its choosing."""

    opened: threading.Event = field(default_factory=threading.Event)
    limit_s: float = 90.0


Step = bytes | Pause | Hang | Drop | Gate


@dataclass
class Reply:
    steps: list[Step] = field(default_factory=list)
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "text/event-stream"})


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def json_reply(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
    all_headers = {"content-type": "application/json", **(headers or {})}
    return Reply([json.dumps(body).encode()], status=status, headers=all_headers)


class ScriptedServer:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[Recorded] = []
        self.client_disconnects = 0
        self.disconnected = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await _read_request(reader)
        if request is None:
            return
        self.requests.append(request)
        reply = self.replies.pop(0) if self.replies else json_reply(500, {"error": "unscripted"})
        gone = asyncio.ensure_future(reader.read())  # completes when the client closes
        try:
            writer.write(_head(reply))
            for step in reply.steps:
                if gone.done():
                    break
                if not await _play(step, writer, gone):
                    return
            if not gone.done():
                writer.write(b"0\r\n\r\n")
                await writer.drain()
        finally:
            if gone.done() and not gone.cancelled():
                self.client_disconnects += 1
                self.disconnected.set()
            gone.cancel()


async def _play(step: Step, writer: asyncio.StreamWriter, gone: asyncio.Future[bytes]) -> bool:
    """Play one step; ``False`` when the connection was dropped on purpose."""
    if isinstance(step, bytes):
        writer.write(b"%x\r\n%s\r\n" % (len(step), step))
        await writer.drain()
    elif isinstance(step, Pause):
        await asyncio.wait([gone], timeout=step.seconds)
    elif isinstance(step, Hang):
        await asyncio.wait([gone], timeout=30)
    elif isinstance(step, Gate):
        deadline = asyncio.get_running_loop().time() + step.limit_s
        while not step.opened.is_set() and asyncio.get_running_loop().time() < deadline:
            await asyncio.wait([gone], timeout=0.05)
            if gone.done():
                break
    else:
        writer.transport.abort()
        return False
    return True


def _head(reply: Reply) -> bytes:
    lines = [f"HTTP/1.1 {reply.status} Scripted", "transfer-encoding: chunked", "connection: close"]
    lines += [f"{name}: {value}" for name, value in reply.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _read_request(reader: asyncio.StreamReader) -> Recorded | None:
    head = await reader.readuntil(b"\r\n\r\n")
    if not head:
        return None
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, path, _ = request_line.split(" ", 2)
    headers = {}
    for line in header_lines:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    raw = await reader.readexactly(length) if length else b""
    body = json.loads(raw) if raw else {}
    return Recorded(method, path, headers, body)
