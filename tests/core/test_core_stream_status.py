"""``GET /api/projects/{id}/stream-status``: open connections counted as they open and close,
and the generation's state while it runs and once it ended (real server, real streams)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import httpx
from websockets.asyncio.client import connect

from apiforge.api_models import StreamStatus
from apiforge.client import ApiforgeClient
from tests.server_process import ServerProcess
from tests.sse_reader import frames, read_until_terminal

PROMPT = "a bakery API with cakes (name, price) and orders (cake, quantity)"


async def settled(
    read: Callable[[], Awaitable[StreamStatus]], wanted: tuple[int, int]
) -> tuple[int, int]:
    """(sse, websocket) once they are ``wanted``, or whatever they are after 2 s: a closed
    connection is noticed when the server next reads or writes it."""
    counts = (-1, -1)
    for _ in range(100):
        status = await read()
        counts = (status.connections.sse, status.connections.websocket)
        if counts == wanted:
            break
        await asyncio.sleep(0.02)
    return counts


async def test_connections_are_counted_while_open(live_server: ServerProcess) -> None:
    async with ApiforgeClient(live_server.url) as client:
        pid = (await client.create_project(PROMPT)).project.id
        ended = await read_until_terminal(live_server.url, pid, 1)

        async def read() -> StreamStatus:
            return await client.stream_status(pid)

        status = await read()
        assert status.connections_total is None  # one process: the in-memory bus
        assert status.last_seq == ended[-1].id
        generation = status.generation
        assert (generation.state, generation.version_number, generation.status) == (
            "idle",
            1,
            "complete",
        )
        assert (generation.step, generation.progress) == ("complete", 100)
        assert status.preview.state == "unavailable"  # this server validates nothing
        assert await settled(read, (0, 0)) == (0, 0)
        ws_url = live_server.url.replace("http://", "ws://") + f"/api/ws/{pid}"
        async with httpx.AsyncClient(timeout=10) as http:
            streams = [http.stream("GET", f"{live_server.url}/api/stream/{pid}") for _ in range(2)]
            # Kept: a byte iterator left to the garbage collector closes its response.
            readers = [(await s.__aenter__()).aiter_bytes() for s in streams]
            for reader in readers:
                await anext(reader)
            async with connect(ws_url, max_queue=None) as ws:
                assert json.loads(await ws.recv())["type"] == "version:start"
                assert await settled(read, (2, 1)) == (2, 1)
                await streams[0].__aexit__(None, None, None)
                assert await settled(read, (1, 1)) == (1, 1)
            assert await settled(read, (1, 0)) == (1, 0)
            await streams[1].__aexit__(None, None, None)
        assert await settled(read, (0, 0)) == (0, 0)


async def test_a_running_generation_says_where_it_stands(slow_server: ServerProcess) -> None:
    async with ApiforgeClient(slow_server.url) as client:
        created = await client.create_project(PROMPT)
        pid = created.project.id
        async for frame in frames(slow_server.url, pid):
            if frame.event == "file:complete":
                seen = frame.id
                break
        status = await client.stream_status(pid)
        await client.cancel(pid)
    generation = status.generation
    assert generation.state == "running" and generation.version_id == created.version.id
    assert (generation.version_number, generation.status, generation.step) == (
        1,
        "generating",
        "generating",
    )
    assert generation.progress is not None and 10 <= generation.progress < 80
    assert status.last_seq >= seen
