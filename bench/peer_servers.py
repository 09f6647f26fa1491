"""The servers bench_peers.py races: apiforge and four peers, each a real uvicorn process.

Every server takes the same recorded event stream on ``POST /play`` (a JSON list of
``[gap_s, event]``), stamps each event's ``ts`` as it emits it, and serves it on
``GET /stream`` (``/api/stream/{id}`` for apiforge; ``GET /events?after=N`` for the poller).
Run one: ``python bench/peer_servers.py KIND PORT [DATA_DIR]`` with KIND one of ``KINDS``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.sse import EventSourceResponse, ServerSentEvent
from sse_starlette import EventSourceResponse as SseStarletteResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

KINDS = ("apiforge", "raw", "sse_starlette", "fastapi", "polling")
Emit = Callable[[dict[str, Any]], None]


class Broadcaster:
    """One asyncio.Queue per subscriber; emit is a put_nowait into each (the simplest fan-out)."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue[dict[str, Any]]] = set()
        self.history: list[dict[str, Any]] = []

    def emit(self, event: dict[str, Any]) -> None:
        self.history.append(event)
        for queue in self.queues:
            queue.put_nowait(event)

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.queues.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self.queues.discard(queue)


async def play(body: bytes, emit: Callable[[dict[str, Any]], Any]) -> None:
    """Emit the recorded events with their recorded gaps, each stamped as it goes out."""
    for gap_s, event in json.loads(body):
        if gap_s > 0:
            await asyncio.sleep(gap_s)
        result = emit({**event, "ts": time.time()})
        if asyncio.iscoroutine(result):
            await result


def sse_frame(event: dict[str, Any]) -> bytes:
    data = json.dumps(event, separators=(",", ":"))
    return f"id: {event['seq']}\nevent: {event['type']}\ndata: {data}\n\n".encode()


def starlette_peer(kind: str) -> Starlette:
    """(b) raw StreamingResponse, (c) sse-starlette, (e) polling: one Starlette app each."""
    hub = Broadcaster()

    async def play_route(request: Request) -> Response:
        hub.history.clear()  # each race replays the same seqs: pollers must not see the last
        asyncio.get_running_loop().create_task(play(await request.body(), hub.emit))
        return Response(status_code=202)

    async def raw(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            async for event in hub.events():
                yield sse_frame(event)

        return StreamingResponse(body(), media_type="text/event-stream")

    async def sse_starlette(request: Request) -> Response:
        async def body() -> AsyncIterator[dict[str, str]]:
            async for event in hub.events():
                data = json.dumps(event, separators=(",", ":"))
                yield {"id": str(event["seq"]), "event": event["type"], "data": data}

        return SseStarletteResponse(body(), ping=15)

    async def polled(request: Request) -> Response:
        after = int(request.query_params.get("after", "0"))
        return JSONResponse([e for e in hub.history if e["seq"] > after])

    streams = {"raw": raw, "sse_starlette": sse_starlette}
    routes = [Route("/play", play_route, methods=["POST"]), Route("/events", polled)]
    if kind in streams:
        routes.append(Route("/stream", streams[kind]))
    return Starlette(routes=routes)


def fastapi_peer() -> FastAPI:
    """(d) FastAPI's native SSE (fastapi.sse, FastAPI ≥ 0.135): a path operation that yields."""
    app = FastAPI()
    hub = Broadcaster()

    @app.post("/play", status_code=202)
    async def play_route(request: Request) -> None:
        asyncio.get_running_loop().create_task(play(await request.body(), hub.emit))

    @app.get("/stream", response_class=EventSourceResponse)
    async def stream() -> AsyncIterator[ServerSentEvent]:
        async for event in hub.events():
            data = json.dumps(event, separators=(",", ":"))
            yield ServerSentEvent(raw_data=data, event=event["type"], id=str(event["seq"]))

    return app


def apiforge_peer() -> FastAPI:
    """(a) the product's own app and streaming path; /play appends through its event log."""
    from apiforge.events.types import parse_event
    from apiforge.server.app import create_app

    app = create_app()

    async def append(event: dict[str, Any]) -> None:
        await app.state.services.log.append(parse_event(json.dumps(event)))

    @app.post("/play", status_code=202, include_in_schema=False)
    async def play_route(request: Request) -> None:
        asyncio.get_running_loop().create_task(play(await request.body(), append))

    return app


def build(kind: str) -> Starlette:
    if kind == "apiforge":
        return apiforge_peer()
    if kind == "fastapi":
        return fastapi_peer()
    return starlette_peer(kind)


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    if len(sys.argv) > 3:
        Path(sys.argv[3]).mkdir(parents=True, exist_ok=True)
    uvicorn.run(build(kind), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
