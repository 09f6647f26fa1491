"""Open live connections (SSE and WebSocket) by project: this process's, and everyone's.

Each process counts its own in memory (``StreamConnections.track`` around a stream's life).
With the redis bus several API processes serve one deployment, so each also keeps its counts in
Redis (``RedisConnectionShare``) and the total is read from there. Counts are written as
absolute values, not increments: a write that is lost or repeated is corrected by the next one,
and a process that dies without cleaning up stops counting once its entries are stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Literal, Protocol

from redis.exceptions import RedisError
from redis.typing import EncodableT

from apiforge.api_models import ConnectionCounts
from apiforge.events import redis_bus
from apiforge.periodic import Periodic
from apiforge.settings import Settings

log = logging.getLogger(__name__)

Transport = Literal["sse", "websocket"]
TRANSPORTS: tuple[Transport, ...] = ("sse", "websocket")


class ConnectionShare(Protocol):
    async def start(self) -> None: ...

    async def aclose(self) -> None: ...

    def changed(self, project_id: str) -> None: ...

    async def total(self, project_id: str) -> ConnectionCounts | None: ...


class StreamConnections:
    """This process's open streams by project and transport; owned by the app lifespan."""

    def __init__(self, share: ConnectionShare | None = None) -> None:
        self._open: Counter[tuple[str, Transport]] = Counter()
        self.share = share

    @classmethod
    def from_settings(cls, settings: Settings) -> StreamConnections:
        connections = cls()
        if settings.bus == "redis":
            connections.share = RedisConnectionShare(
                settings.redis_url, settings.redis_prefix, counts=connections
            )
        return connections

    async def start(self) -> None:
        if self.share is not None:
            await self.share.start()

    async def aclose(self) -> None:
        if self.share is not None:
            await self.share.aclose()

    @contextlib.contextmanager
    def track(self, project_id: str, transport: Transport) -> Iterator[None]:
        """Count one connection to ``project_id``'s events while the block runs."""
        key = (project_id, transport)
        self._open[key] += 1
        self._changed(project_id)
        try:
            yield
        finally:
            self._open[key] -= 1
            if self._open[key] <= 0:
                del self._open[key]
            self._changed(project_id)

    def _changed(self, project_id: str) -> None:
        if self.share is not None:
            self.share.changed(project_id)

    def local(self, project_id: str) -> ConnectionCounts:
        return ConnectionCounts(
            sse=self._open[(project_id, "sse")], websocket=self._open[(project_id, "websocket")]
        )

    def projects(self) -> set[str]:
        return {project_id for project_id, _ in self._open}

    async def total(self, project_id: str) -> ConnectionCounts | None:
        """Every API process's connections to the project; None when this process is the only
        one that serves streams (the in-memory bus)."""
        if self.share is None:
            return None
        return await self.share.total(project_id)


# A process rewrites its entries this often while it has connections to a project; a reader
# ignores entries older than STALE_S (a process that died without removing them).
REFRESH_S = 10.0
STALE_S = 3 * REFRESH_S
# The whole hash goes once no process has written to it for this long.
KEY_TTL_S = 2 * STALE_S


class LocalCounts(Protocol):
    def local(self, project_id: str) -> ConnectionCounts: ...

    def projects(self) -> set[str]: ...


class RedisConnectionShare:
    """Per-process counts in one Redis hash per project, ``{prefix}connections:{project_id}``,
    with fields ``{process}:sse``, ``{process}:websocket`` and ``{process}:at`` (the Unix time
    of the process's last write; process clocks are assumed within a few seconds of each other).

    One writer task sends what changed (coalesced, so a burst of connects is one write) and
    refreshes every project this process has connections to every ``REFRESH_S``.
    """

    def __init__(self, url: str, prefix: str, *, counts: LocalCounts) -> None:
        # A command timeout as well: a Redis that accepts but does not answer (a stalled host)
        # must not hang GET /stream-status, whose total() reads here.
        self._redis = redis_bus.command_client(url)
        self._prefix = prefix
        self._counts = counts
        self.process = uuid.uuid4().hex
        self._dirty: set[str] = set()
        # Projects whose hash holds entries of this process, removed when it stops.
        self._written: set[str] = set()
        self._refreshed = time.monotonic()
        self._writer = Periodic("connection-share-writer", REFRESH_S, self._write_round)

    def key(self, project_id: str) -> str:
        return f"{self._prefix}connections:{project_id}"

    async def start(self) -> None:
        self._writer.start()

    async def aclose(self) -> None:
        await self._writer.aclose()
        # Best effort: stale entries stop counting by themselves after STALE_S.
        with contextlib.suppress(RedisError, OSError, TimeoutError):
            async with asyncio.timeout(1):
                async with self._redis.pipeline(transaction=False) as pipe:
                    for project_id in self._written:
                        pipe.hdel(self.key(project_id), *self._fields())
                    await pipe.execute()
        await self._redis.aclose()

    def _fields(self) -> list[str]:
        return [f"{self.process}:{name}" for name in (*TRANSPORTS, "at")]

    def changed(self, project_id: str) -> None:
        self._dirty.add(project_id)
        self._writer.wake()

    async def _write_round(self) -> None:
        projects, self._dirty = self._dirty, set()
        if time.monotonic() - self._refreshed >= REFRESH_S:
            projects |= self._counts.projects()
            self._refreshed = time.monotonic()
        try:
            await self._write(projects)
        except (RedisError, OSError) as error:
            log.warning("connection counts not written to Redis (%s); retrying", error)
            self._dirty |= projects
            await asyncio.sleep(1)  # changes wake the writer: do not retry at their pace

    async def _write(self, projects: set[str]) -> None:
        if not projects:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for project_id in projects:
                key, counts = self.key(project_id), self._counts.local(project_id)
                fields = self._fields()
                if counts.sse + counts.websocket == 0:
                    pipe.hdel(key, *fields)
                    self._written.discard(project_id)
                    continue
                self._written.add(project_id)
                values: dict[EncodableT, EncodableT] = {
                    fields[0]: counts.sse,
                    fields[1]: counts.websocket,
                    fields[2]: time.time(),
                }
                pipe.hset(key, mapping=values)
                pipe.expire(key, int(KEY_TTL_S))
            await pipe.execute()

    async def total(self, project_id: str) -> ConnectionCounts | None:
        """The sum over fresh processes, with this process's own counts taken from memory
        (its entries may be a moment behind). None when Redis cannot be read."""
        try:
            raw: dict[bytes, bytes] = await self._redis.hgetall(self.key(project_id))  # type: ignore[assignment]
        except (RedisError, OSError) as error:
            log.warning("connection counts not read from Redis (%s)", error)
            return None
        own = self._counts.local(project_id)
        total = {"sse": own.sse, "websocket": own.websocket}
        for process, counts in _by_process(raw).items():
            if process == self.process or time.time() - counts.get("at", 0) > STALE_S:
                continue
            for transport in TRANSPORTS:
                total[transport] += int(counts.get(transport, 0))
        return ConnectionCounts(**total)


def _by_process(raw: dict[bytes, bytes]) -> dict[str, dict[str, float]]:
    processes: dict[str, dict[str, float]] = {}
    for field, value in raw.items():
        process, _, name = field.decode().rpartition(":")
        with contextlib.suppress(ValueError):
            processes.setdefault(process, {})[name] = float(value)
    return processes
