"""The event bus across processes: one Redis stream per project.

Publishing is synchronous for the log (``publish`` queues the envelope); one publisher task
sends the queue to Redis in order, a pipeline of XADDs per batch. Each process reads a project's
stream with one reader task while it has subscribers there (not one per client) and fans the
entries out in-process to the same ``Subscription`` objects the in-memory bus uses.

The log publishes here only what is committed (``durable_only``): a subscriber first learns
where its stream ends (``Subscription.ready``), then the feed reads the log, so an event is
either in the log already or after that point in the stream, never in neither.

Order: the log numbers a project's events densely, in commit order, whichever process commits
them; but processes publish independently, so the stream may hold seq N+1 before N (another
process's publisher was slower). A reader hands its subscriptions a project's events in seq
order from the newest one committed when it started: an entry past the next seq first takes
the ones between from the log (all committed: N+1 was numbered after N's commit), and an entry
at or below what was handed over is one of those, published late, and is dropped.

Retention: ``XADD … MAXLEN ~ N`` (approximate, so Redis trims whole nodes cheaply) keeps the
newest N entries of a project, and every XADD renews a one-hour expiry, so idle projects' streams
disappear. The stream is only the live path; history is the log's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, contextmanager, suppress
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from apiforge.errors import ApiforgeError
from apiforge.events.bus import CommittedEvents, Envelope, Subscription
from apiforge.events.types import ProjectDeleted, parse_event
from apiforge.settings import Settings

log = logging.getLogger(__name__)

STREAM_TTL_S = 3600
DELETED_TTL_S = 60
OUTBOX_MAX = 100_000
READ_BLOCK_MS = 5_000
# A reader's socket waits this much longer than its blocking read: with redis-py's default
# (5 s, the block's own length) a quiet project's XREAD timed out and ended its live streams.
READ_SOCKET_MARGIN_S = 5.0
COMMAND_TIMEOUT_S = 5.0  # the shared client's short commands (redis-py's default)
READ_COUNT = 500
RETRY_S = 0.5
SHUTDOWN_S = 2.0


class _Reader:
    """One project's stream read by this process, for all of its subscriptions here."""

    def __init__(self) -> None:
        self.subscriptions: set[Subscription] = set()
        self.ready = False
        self.stopped = False
        self.task: asyncio.Task[None] | None = None
        self.client: Redis | None = None
        # The highest seq handed over (None: in the stream's order, no log to fill from).
        self.last: int | None = None

    def add(self, subscription: Subscription) -> None:
        self.subscriptions.add(subscription)
        if self.ready:
            subscription.mark_ready()

    def mark_ready(self) -> None:
        self.ready = True
        for subscription in self.subscriptions:
            subscription.mark_ready()

    def stop(self) -> None:
        # The flag as well as the cancel: redis-py can swallow a cancel that lands as a
        # blocking XREAD starts (redis/redis-py#2028); the loop then ends when the read returns.
        self.stopped = True
        if self.task is not None:
            self.task.cancel()


def command_client(url: str) -> Redis:
    """A client for short commands (the bus's writes, limits, connection counts): a stalled
    Redis fails them within COMMAND_TIMEOUT_S instead of hanging the request that waits."""
    return Redis.from_url(
        url, socket_connect_timeout=2, socket_timeout=COMMAND_TIMEOUT_S, health_check_interval=30
    )


class RedisBus:
    durable_only = True

    def __init__(
        self, url: str, prefix: str, *, maxlen: int = 10_000, max_queued: int = 10_000
    ) -> None:
        self._url = url
        self._redis = self._client()
        self._prefix = prefix
        self._maxlen = maxlen
        self._max_queued = max_queued
        self._readers: dict[str, _Reader] = {}
        # Every reader whose task still runs, those already left by their subscribers included.
        self._reading: set[_Reader] = set()
        # None asks the publisher to finish: the log's last flush is in before it.
        self._outbox: asyncio.Queue[Envelope | None] = asyncio.Queue(OUTBOX_MAX)
        self._tasks = AsyncExitStack()
        self._group: asyncio.TaskGroup | None = None
        self._publisher: asyncio.Task[None] | None = None
        self._closed = False
        self._log: CommittedEvents | None = None
        self.observe_lag: Callable[[float], None] | None = None

    def attach(self, log: CommittedEvents) -> None:
        self._log = log

    def _client(self, *, reader: bool = False) -> Redis:
        if not reader:
            return command_client(self._url)
        return Redis.from_url(
            self._url,
            socket_connect_timeout=2,
            socket_timeout=READ_BLOCK_MS / 1000 + READ_SOCKET_MARGIN_S,
            health_check_interval=30,
            single_connection_client=True,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisBus:
        return cls(settings.redis_url, settings.redis_prefix, maxlen=settings.redis_stream_maxlen)

    def key(self, project_id: str) -> str:
        return f"{self._prefix}events:{project_id}"

    async def start(self) -> None:
        try:
            await self._redis.ping()  # a wrong URL fails the start-up, not the first stream
        except (RedisError, OSError) as error:
            raise ApiforgeError(
                f"The redis event bus cannot reach Redis (APIFORGE_REDIS_URL): {error}",
                code="bus_unavailable",
                retryable=True,
            ) from error
        self._group = await self._tasks.enter_async_context(asyncio.TaskGroup())
        self._publisher = self._spawn(self._publish_loop())

    async def aclose(self) -> None:
        self.close()
        if self._publisher is not None:
            with suppress(asyncio.QueueFull):  # full: the publisher is stuck on Redis anyway
                self._outbox.put_nowait(None)
            # Bounded: with Redis away the rest is in the log, and clients resume from there.
            done, _ = await asyncio.wait({self._publisher}, timeout=SHUTDOWN_S)
            if not done:
                log.warning("redis bus: events left unpublished at shutdown (Redis away)")
            self._publisher.cancel()
        self._readers.clear()
        for reader in self._reading:
            reader.stop()
        await _end_blocked_reads(list(self._reading))
        await self._tasks.aclose()
        await self._redis.aclose()

    def publish(self, envelope: Envelope) -> None:
        try:
            self._outbox.put_nowait(envelope)
        except asyncio.QueueFull:
            # Redis has been away for long: the event is in the log; live streams elsewhere
            # have already ended with their readers' errors and resume from the log.
            log.warning("redis bus outbox full; event %s not published live", envelope.seq)

    @contextmanager
    def subscribe(self, project_id: str) -> Iterator[Subscription]:
        subscription = Subscription(project_id, self._max_queued)
        if self._closed:
            subscription.close()
            yield subscription
            return
        reader = self._readers.get(project_id)
        if reader is None:
            reader = _Reader()
            # Registered only once its task exists: a spawn that fails (the bus not started,
            # its group shutting down) must not leave a reader that later subscribers join and
            # wait on forever. The task cannot run before the next await, so it misses nothing.
            reader.task = self._spawn(self._read_loop(project_id, reader))
            self._readers[project_id] = reader
        reader.add(subscription)
        try:
            yield subscription
        finally:
            self._unsubscribe(project_id, reader, subscription)

    def _unsubscribe(self, project_id: str, reader: _Reader, subscription: Subscription) -> None:
        subscription.close()  # its timer too: nothing of it outlives the stream
        reader.subscriptions.discard(subscription)
        if not reader.subscriptions and self._readers.get(project_id) is reader:
            del self._readers[project_id]
            reader.stop()

    def _spawn(self, coroutine: Any) -> asyncio.Task[None]:
        if self._group is None:
            coroutine.close()
            raise RuntimeError("the redis bus is not started")
        task: asyncio.Task[None] = self._group.create_task(coroutine)
        return task

    def subscriber_count(self, project_id: str | None = None) -> int:
        if project_id is not None:
            reader = self._readers.get(project_id)
            return len(reader.subscriptions) if reader else 0
        return sum(len(r.subscriptions) for r in self._readers.values())

    def reader_count(self) -> int:
        """Reader tasks running: one per project with subscribers here, whatever their number."""
        return len(self._readers)

    def close(self) -> None:
        self._closed = True
        for reader in self._readers.values():
            for subscription in reader.subscriptions:
                subscription.close()

    @property
    def closed(self) -> bool:
        return self._closed

    async def _read_loop(self, project_id: str, reader: _Reader) -> None:
        key = self.key(project_id)
        # Its own connection, closed here however the task ends: a blocking XREAD cancelled
        # mid-read would otherwise leave a pooled connection half open.
        client = reader.client = self._client(reader=True)
        self._reading.add(reader)
        try:
            newest: Any = await client.xrevrange(key, count=1)
            position: bytes = newest[0][0] if newest else b"0-0"
            if self._log is not None:
                # Read after the position: anything committed since is published after it.
                reader.last = await self._log.last_seq(project_id)
            reader.mark_ready()
            while not reader.stopped:
                answer: Any = await client.xread(
                    {key: position}, count=READ_COUNT, block=READ_BLOCK_MS
                )
                for _key, entries in answer or []:
                    for entry_id, fields in entries:
                        position = entry_id
                        await self._fan_out(project_id, reader, fields)
        except Exception as error:  # noqa: BLE001 - any failure must end the streams, not the group
            if not reader.stopped:  # a stopped reader's read ended by closing its connection
                self._reader_failed(project_id, reader, repr(error))
        finally:
            self._reading.discard(reader)
            await client.aclose()

    def _reader_failed(self, project_id: str, reader: _Reader, error: str) -> None:
        # Live delivery here has stopped: end these streams, so their clients reconnect and
        # resume from the log (the events are there) instead of silently missing some.
        log.warning("redis bus: reading %s failed (%s); ending its streams", project_id, error)
        if self._readers.get(project_id) is reader:
            del self._readers[project_id]
        for subscription in list(reader.subscriptions):
            subscription.close()

    async def _fan_out(self, project_id: str, reader: _Reader, fields: dict[bytes, bytes]) -> None:
        data = fields[b"event"].decode()
        envelope = Envelope.encoded(parse_event(data), data)
        for ordered in await self._in_order(project_id, reader, envelope):
            for subscription in list(reader.subscriptions):
                subscription.deliver(ordered)
        sent = fields.get(b"sent")  # absent in entries of a version before the field
        if self.observe_lag is not None and sent is not None:
            # Wall clocks of two processes (maybe two hosts): skew shows up here, so never < 0.
            self.observe_lag(max(time.time() - float(sent), 0.0))

    async def _in_order(
        self, project_id: str, reader: _Reader, envelope: Envelope
    ) -> list[Envelope]:
        """What the entry makes ready to hand over, in seq order (see the module's doc)."""
        if reader.last is None or self._log is None or isinstance(envelope.event, ProjectDeleted):
            return [envelope]  # a deletion is not logged (seq 0): it ends the streams as is
        if envelope.seq <= reader.last:
            return []
        missed: list[Envelope] = []
        if envelope.seq > reader.last + 1:
            missed = await self._log.read_between(project_id, reader.last, envelope.seq)
        reader.last = envelope.seq
        return [*missed, envelope]

    async def _publish_loop(self) -> None:
        finished = False
        while not finished:
            batch: list[Envelope] = []
            first = await self._outbox.get()
            for item in [first, *self._take_queued()]:
                if item is None:
                    finished = True
                else:
                    batch.append(item)
            if batch:
                await self._send_until_sent(batch)

    def _take_queued(self) -> list[Envelope | None]:
        items: list[Envelope | None] = []
        while not self._outbox.empty() and len(items) < READ_COUNT:
            items.append(self._outbox.get_nowait())
        return items

    async def _send_until_sent(self, batch: list[Envelope]) -> None:
        # In order and kept until sent: a reader elsewhere must never see a later event of a
        # project before an earlier one (its feed would drop the earlier one as already sent).
        while True:
            try:
                await self._send(batch)
                return
            except (RedisError, OSError) as error:
                log.warning("redis bus: publishing failed (%s); retrying", error)
                await asyncio.sleep(RETRY_S)
            except Exception:  # a bug must not take the bus's task group down
                log.exception("redis bus: %d events not published live", len(batch))
                return

    async def _send(self, batch: list[Envelope]) -> None:
        # When the batch goes out, for the readers' lag metric (apiforge_bus_lag_seconds).
        sent = repr(time.time())
        async with self._redis.pipeline(transaction=False) as pipe:
            for envelope in batch:
                key = self.key(envelope.project_id)
                entry: dict[Any, Any] = {"event": envelope.json, "sent": sent}
                pipe.xadd(key, entry, maxlen=self._maxlen, approximate=True)
                deleted = envelope.event.type == "project:deleted"
                pipe.expire(key, DELETED_TTL_S if deleted else STREAM_TTL_S)
            await pipe.execute()


async def _end_blocked_reads(readers: list[_Reader]) -> None:
    """A stopped reader whose cancel redis-py swallowed sits in its blocking XREAD for up to
    READ_BLOCK_MS: closing its connection ends the read now, so shutdown does not wait."""
    tasks = {reader.task for reader in readers if reader.task is not None}
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=0.1)
    for reader in readers:
        if reader.task in pending and reader.client is not None:
            await reader.client.connection_pool.disconnect()
