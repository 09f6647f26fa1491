"""Keep every raw model reply of a benchmark run: a recording proxy in front of the model server.

apiforge's events show what the parser made of a reply (prose, file chunks), not the reply
itself, and the shape of a reply that became no file is exactly what the parser must learn.
So the bench points apiforge at this proxy, which relays the OpenAI-compatible stream
unchanged and writes each exchange — the messages sent, the reply text, the finish reason and
the reported usage — to ``NNN.json`` in the record directory. ``bench/llm_replies.py`` reads
them back.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from apiforge.ports import free_port


@dataclass
class Exchange:
    """One chat completion as it went by."""

    number: int
    request: dict[str, Any]
    started: float = field(default_factory=time.time)
    text: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None

    def note(self, line: str) -> None:
        """Take the reply text, finish reason and usage out of one SSE ``data:`` line."""
        if not line.startswith("data: ") or line == "data: [DONE]":
            return
        chunk = json.loads(line.removeprefix("data: "))
        self.usage = chunk.get("usage") or self.usage
        for choice in chunk.get("choices", []):
            self.text.append((choice.get("delta") or {}).get("content") or "")
            self.finish_reason = choice.get("finish_reason") or self.finish_reason

    def save(self, directory: Path) -> None:
        record = {
            "number": self.number,
            "started": self.started,
            "seconds": time.time() - self.started,
            "messages": self.request.get("messages", []),
            "reply": "".join(self.text),
            "finish_reason": self.finish_reason,
            "usage": self.usage,
        }
        path = directory / f"{self.number:03d}.json"
        path.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")


class Recorder:
    def __init__(self, upstream: str, directory: Path) -> None:
        self._upstream = upstream.rstrip("/")
        self._directory = directory
        self._numbers = itertools.count(1)
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
            ]
        )

    async def _models(self, request: Request) -> Response:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.get(f"{self._upstream}/models")
        return Response(answer.content, answer.status_code, media_type="application/json")

    async def _chat(self, request: Request) -> Response:
        exchange = Exchange(next(self._numbers), await request.json())
        return StreamingResponse(self._relay(exchange), media_type="text/event-stream")

    async def _relay(self, exchange: Exchange) -> AsyncIterator[bytes]:
        try:
            async with (
                httpx.AsyncClient(timeout=httpx.Timeout(None, connect=10)) as client,
                client.stream(
                    "POST", f"{self._upstream}/chat/completions", json=exchange.request
                ) as answer,
            ):
                async for line in answer.aiter_lines():
                    exchange.note(line)
                    yield (line + "\n").encode()
        finally:
            exchange.save(self._directory)


@contextmanager
def recording(upstream: str, directory: Path) -> Iterator[str]:
    """The base URL of a proxy to ``upstream`` that saves every exchange under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = uvicorn.Config(
        Recorder(upstream, directory).app, host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="llm-recorder")
    thread.start()
    try:
        while not server.started and thread.is_alive():
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join()
