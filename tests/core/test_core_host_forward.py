"""host_forward.py against raw TCP servers of the test's own: what reaches the other host (the
caller's credentials, the hop header, the body and the encoded path), what comes back (repeated
headers kept), and the two ways the other host fails to answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from starlette.requests import Request

from apiforge.ports import free_port
from apiforge.sandbox.host_forward import (
    HOP_HEADER,
    HostForwarder,
    PreviewHostNoAnswer,
    PreviewHostUnreachable,
)

ANSWER = (
    b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\nx-one: a\r\nx-one: b\r\n"
    b"connection: close\r\n\r\nok"
)
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
async def forwarder() -> AsyncIterator[HostForwarder]:
    hosts = HostForwarder("host-b", read_timeout_s=0.5)
    yield hosts
    await hosts.aclose()


async def _serve(handler: Handler) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def _request(body: bytes) -> Request:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/preview/p1/a b",
        "raw_path": b"/preview/p1/a%20b",
        "query_string": b"q=1",
        "headers": [
            (b"host", b"public.example"),
            (b"authorization", b"Bearer secret"),
            (b"connection", b"upgrade"),
            (b"upgrade", b"websocket"),
            (b"content-length", str(len(body)).encode()),
        ],
    }

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


async def test_the_request_goes_as_it_came_and_the_answer_comes_back(
    forwarder: HostForwarder,
) -> None:
    received: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n") + await reader.readexactly(5))
        writer.write(ANSWER)
        await writer.drain()
        writer.close()

    server, url = await _serve(answer)
    async with server:
        response = await forwarder.forward(url, "host-a", _request(b"hello"))
        chunks = [chunk async for chunk in response.body_iterator]
    head = received[0].decode().lower()
    assert head.startswith("post /preview/p1/a%20b?q=1 http/1.1")
    assert "authorization: bearer secret" in head and f"{HOP_HEADER}: host-b" in head
    assert "host: public.example" not in head and "websocket" not in head, head
    assert "accept-encoding" not in head  # not added on the way: the body comes back raw
    assert head.endswith("hello")
    assert response.status_code == 201 and chunks == [b"ok"]
    assert [v for k, v in response.raw_headers if k == b"x-one"] == [b"a", b"b"]


async def test_a_host_that_refuses_is_unreachable(forwarder: HostForwarder) -> None:
    with pytest.raises(PreviewHostUnreachable) as raised:
        await forwarder.forward(f"http://127.0.0.1:{free_port()}", "host-a", _request(b""))
    assert raised.value.status_code == 503 and raised.value.retryable
    assert "host-a" in raised.value.message


async def test_a_host_that_accepts_and_stays_silent_did_not_answer(
    forwarder: HostForwarder,
) -> None:
    silent_handlers: set[asyncio.Task[object]] = set()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent_handlers.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            await reader.read(1)
            await asyncio.sleep(60)
        finally:
            writer.close()

    server, url = await _serve(silent)
    async with server:
        with pytest.raises(PreviewHostNoAnswer) as raised:
            await forwarder.forward(url, "host-a", _request(b""))
    # Python 3.11's Server.wait_closed leaves handlers running: one still holding its socket
    # when the test's loop closes warns (unclosed transport) in whichever test runs next.
    for handler in silent_handlers:
        handler.cancel()
    await asyncio.gather(*silent_handlers, return_exceptions=True)
    assert raised.value.status_code == 502 and raised.value.retryable
