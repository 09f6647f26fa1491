"""The benchmarks' SSE client: a bare asyncio socket per subscriber, so the measuring side costs
as little CPU as possible. It stamps each data line as it arrives and decodes after the stream."""

from __future__ import annotations

import asyncio
import json
import time

Stamped = list[tuple[float, bytes]]
# The events that end a version (tests/sse_reader.py's TERMINAL), as their data lines hold them.
TERMINAL = tuple(f'"type":"{kind}"'.encode() for kind in ("version:complete", "cancelled", "error"))


class Subscriber:
    """One idle SSE connection: it reads and stamps lines, decoding only at the end."""

    def __init__(self) -> None:
        self.lines: Stamped = []
        self.attached_at = 0.0  # wall clock, as the events' ts
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def attach(self, host: str, port: int, path: str, last_id: int) -> None:
        self.reader, self.writer = await asyncio.open_connection(host, port)
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nLast-Event-ID: {last_id}\r\n\r\n"
        self.writer.write(request.encode())
        await self.writer.drain()
        status = await self.reader.readline()  # the server has taken the subscriber
        if b" 200 " not in status:
            raise RuntimeError(f"stream answered {status!r}")
        self.attached_at = time.time()

    async def read_until_complete(self) -> None:
        """Until the version ends (complete, failed, cancelled or an error) or the stream does."""
        assert self.reader is not None
        while line := await self.reader.readline():
            if line.startswith(b"data: "):
                self.lines.append((time.time(), line))
                if any(marker in line for marker in TERMINAL):
                    break

    def latencies(self) -> list[tuple[str, float]]:
        """Each event's type and milliseconds from its ``ts`` (stamped by the server) to here."""
        events = [(received, json.loads(line[6:])) for received, line in self.lines]
        return [(event["type"], (received - event["ts"]) * 1000) for received, event in events]

    def live_latencies(self) -> list[float]:
        """Milliseconds from emit to here of the events emitted after the server took this
        subscriber (the earlier ones came from the replay)."""
        return [
            (received - event["ts"]) * 1000
            for received, event in (
                (received, json.loads(line[6:])) for received, line in self.lines
            )
            if event["ts"] >= self.attached_at
        ]

    def last_event(self) -> dict[str, object]:
        """The last event received, decoded."""
        event: dict[str, object] = json.loads(self.lines[-1][1][6:])
        return event

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def attached(url: str, path: str, last_id: int) -> Subscriber:
    """A subscriber of ``url`` + ``path`` whose stream the server has taken."""
    host, port = url.removeprefix("http://").split(":")
    subscriber = Subscriber()
    await subscriber.attach(host, int(port), path, last_id)
    return subscriber
