"""Emits one version's events, merging ``code:chunk`` per file into one per time window.

Fast providers produce hundreds of tiny deltas a second; clients need far fewer frames. Text is
held per file for at most ``coalesce_s`` and always flushed before any other event, so the
order clients see (chunks of a file before its ``file:complete``) never changes.
"""

from __future__ import annotations

import asyncio
import time
from typing import TypedDict

from apiforge.events.log import EventLog
from apiforge.events.types import TERMINAL_TYPES, CodeChunk, Event

# After these the workflow step returns, and DBOS checkpoints it in a thread whose Python work
# (SQLAlchemy, pickling) takes the GIL from the loop, which gives it up at every socket write:
# fan-out left until then came out late (bench_core's p99 tail: version:start, then the last
# batch of a generation). So these are written at once (an event reaches subscribers only once
# committed), and one loop turn lets the subscribers they woke write them first.
# provider:call is the last event of a streaming step (sent once the reply has ended); bench_core's
# quiet-machine p99 tail was all provider:call once events were published only after commit.
LET_SUBSCRIBERS_WRITE = frozenset({"version:start", "provider:call", *TERMINAL_TYPES})


class VersionIds(TypedDict):
    """What every event of a version carries; spread into an event: ``StepStart(**ids, ...)``."""

    project_id: str
    version_number: int


class VersionEmitter:
    def __init__(
        self, log: EventLog, *, project_id: str, version_number: int, coalesce_s: float
    ) -> None:
        self.log = log
        self.project_id = project_id
        self.version_number = version_number
        self._coalesce_s = coalesce_s
        self._held_path: str | None = None
        self._held_text: list[str] = []
        self._held_offset = 0
        self._held_since = 0.0
        self._offsets: dict[str, int] = {}

    @property
    def ids(self) -> VersionIds:
        return VersionIds(project_id=self.project_id, version_number=self.version_number)

    async def emit(self, event: Event) -> None:
        """Send ``event`` (built with ``**ids``, so mypy checks every field at the call site)."""
        await self.flush_chunks()
        await self.log.append(event)
        if event.type in LET_SUBSCRIBERS_WRITE:
            await self.log.settle()
            await asyncio.sleep(0)

    async def code(self, path: str, text: str) -> None:
        """Queue streamed text of ``path``; sent when the window passes or another event comes."""
        if not text:
            return
        if self._held_path is not None and self._held_path != path:
            await self.flush_chunks()
        if self._held_path is None:
            self._held_path = path
            self._held_offset = self._offsets.get(path, 0)
            self._held_since = time.monotonic()
        self._held_text.append(text)
        self._offsets[path] = self._offsets.get(path, 0) + len(text)
        if time.monotonic() - self._held_since >= self._coalesce_s:
            await self.flush_chunks()

    def seconds_until_due(self) -> float | None:
        """How long the held text may still wait; None when nothing is held."""
        if self._held_path is None:
            return None
        return max(0.0, self._coalesce_s - (time.monotonic() - self._held_since))

    async def flush_chunks(self) -> None:
        if self._held_path is None:
            return
        path, text, offset = self._held_path, "".join(self._held_text), self._held_offset
        self._held_path, self._held_text = None, []
        event = CodeChunk(
            project_id=self.project_id,
            version_number=self.version_number,
            path=path,
            chunk=text,
            offset=offset,
        )
        await self.log.append(event)

    def reset_file(self, path: str) -> None:
        self._offsets.pop(path, None)

    async def stream_ended(self) -> None:
        """Told when the provider's stream is over (a resumed run checks it caught up)."""
