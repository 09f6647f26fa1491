"""Connections: closed streams leave nothing behind; the client resumes by itself after a drop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx

from apiforge.client import ApiforgeClient
from tests.browser.proxy import DroppingProxy
from tests.server_process import ServerProcess
from tests.sse_reader import read_until_terminal

PROMPT = "a notes API with notes (title, body, tags) and folders (name)"


def subscribers(server: ServerProcess) -> int:
    return int(httpx.get(f"{server.url}/api/health").json()["subscribers"])


async def settle(server: ServerProcess, expected: int) -> int:
    """The subscriber count once it reaches ``expected`` (or after 2 s, whatever it is then)."""
    for _ in range(100):
        if (count := subscribers(server)) == expected:
            return count
        await asyncio.sleep(0.02)
    return subscribers(server)


async def first_event(chunks: AsyncIterator[bytes]) -> None:
    """Read up to the replay's first event: the `retry:` line goes out before the stream
    subscribes, its first event after (so a stream that sent one is surely counted). The
    caller keeps ``chunks``: an iterator dropped half-read is finalized, which closes its
    response, so the server would rightly count one stream fewer."""
    seen = b""
    while b"id: " not in seen:
        seen += await anext(chunks)


async def test_closed_streams_are_released_at_once(live_server: ServerProcess) -> None:
    pid = httpx.post(f"{live_server.url}/api/projects", json={"prompt": PROMPT}).json()
    pid = pid["project"]["id"]
    await read_until_terminal(live_server.url, pid, 1)
    baseline = await settle(live_server, 0)
    async with httpx.AsyncClient(timeout=10) as client:
        streams = [client.stream("GET", f"{live_server.url}/api/stream/{pid}") for _ in range(20)]
        responses = [await s.__aenter__() for s in streams]
        readers = [response.aiter_bytes() for response in responses]
        for reader in readers:
            await first_event(reader)
        assert subscribers(live_server) == baseline + 20
        for stream in streams:
            await stream.__aexit__(None, None, None)
    assert await settle(live_server, baseline) == baseline


async def test_client_resumes_after_dropped_connection(slow_server: ServerProcess) -> None:
    with DroppingProxy(slow_server.port) as proxy:
        async with ApiforgeClient(proxy.url) as client:
            created = await client.create_project(PROMPT)
            pid = created.project.id
            seqs: list[int] = []
            async for event in client.events(pid, until_version=1):
                seqs.append(event.seq)
                if len(seqs) in (5, 40, 90):
                    proxy.cut(refuse_for_s=0.3)
    full = await read_until_terminal(slow_server.url, pid, 1)
    assert seqs == [f.id for f in full]
