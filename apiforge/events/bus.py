"""Live fan-out of events to subscribers: in-process here, across processes in redis_bus.py.

The bus only delivers what is published while a subscriber listens; replay of older events is
the event log's job (events/feed.py joins the two without gap or duplicate).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from apiforge.events.types import Event
from apiforge.settings import Settings


@dataclass(frozen=True)
class Envelope:
    """An event with its JSON encoded once, so fan-out never re-serialises per subscriber."""

    event: Event
    json: str
    sse: bytes = field(repr=False)

    @classmethod
    def wrap(cls, event: Event) -> Envelope:
        return cls.encoded(event, event.model_dump_json())

    @classmethod
    def encoded(cls, event: Event, data: str) -> Envelope:
        """An event with the JSON it was read from (a stream entry), not serialised again."""
        frame = f"id: {event.seq}\nevent: {event.type}\ndata: {data}\n\n".encode()
        return cls(event=event, json=data, sse=frame)

    @property
    def seq(self) -> int:
        return self.event.seq

    @property
    def project_id(self) -> str:
        return self.event.project_id


class Subscription:
    """One listener's bounded queue. On overflow it is closed: the client resumes by id.

    Held by every open stream, idle ones included, so it is kept small: a list and at most one
    waiting future, where an ``asyncio.Queue`` and two ``asyncio.Event`` cost five deques
    (~0.75 KiB each) per connection.
    """

    def __init__(self, project_id: str, max_queued: int) -> None:
        self.project_id = project_id
        self.overflowed = False
        self._max_queued = max_queued
        # None: the end-of-subscription marker (closed); nothing is delivered after it.
        self._items: list[Envelope | None] = []
        self._waiter: asyncio.Future[None] | None = None
        self._is_ready = False
        self._ready_waiter: asyncio.Future[None] | None = None
        # The silence timer (see ``get``): armed once and kept across deliveries, so an event
        # costs no timer; ``_deadline`` is when the current wait times out.
        self._timer: asyncio.TimerHandle | None = None
        self._deadline = 0.0

    def mark_ready(self) -> None:
        self._is_ready = True
        _wake(self._ready_waiter)

    async def ready(self) -> None:
        """Wait until everything published from now on will be delivered (a bus that reads
        from elsewhere first learns where its reading starts)."""
        if self._is_ready:
            return
        if self._ready_waiter is None:
            self._ready_waiter = asyncio.get_running_loop().create_future()
        # Shielded: a waiter cancelled here must not cancel the future another one awaits.
        await asyncio.shield(self._ready_waiter)

    def deliver(self, envelope: Envelope) -> None:
        if self.overflowed:
            return
        if 0 < self._max_queued <= len(self._items):  # 0: unbounded, as asyncio.Queue(0)
            self.overflowed = True
            return
        self._items.append(envelope)
        _wake(self._waiter)

    def close(self) -> None:
        self.overflowed = True
        self.mark_ready()
        self._items = [None]
        _wake(self._waiter)
        self._disarm()

    def drain(self, limit: int) -> list[Envelope]:
        """What is queued already, without waiting (up to ``limit``)."""
        taken: list[Envelope] = []
        for item in self._items[:limit]:
            if item is None:
                break  # closed: the marker stays, so the next get() ends the subscription
            taken.append(item)
        del self._items[: len(taken)]
        return taken

    async def get(self, timeout: float | None = None) -> Envelope | None:
        """Next envelope; None once ``timeout`` passed with nothing to deliver. Raises
        EOFError once closed or overflowed.

        A wait arms no timer of its own: ``asyncio.timeout`` per call scheduled and cancelled
        one timer per event per subscriber, a quarter of the server's CPU fanning a stream
        out to 1,000 (py-spy, BENCHMARKS.md). One timer is kept armed instead; when it fires
        before the current wait's deadline (an event came since), it is armed again for it.
        """
        if not self._items:
            if self.overflowed:
                raise EOFError
            loop = asyncio.get_running_loop()
            self._waiter = loop.create_future()
            if timeout is not None:
                self._arm(loop, loop.time() + timeout)
            try:
                await self._waiter
            except BaseException:
                self._disarm()
                raise
            finally:
                self._waiter = None
        if not self._items:  # woken by an overflow (queues nothing) or by the silence timer
            if self.overflowed:
                raise EOFError
            return None
        item = self._items[0]
        if item is None:
            raise EOFError
        del self._items[0]
        return item

    def _arm(self, loop: asyncio.AbstractEventLoop, deadline: float) -> None:
        self._deadline = deadline
        if self._timer is None or self._timer.when() > deadline:
            self._disarm()
            self._timer = loop.call_at(deadline, self._on_timer, loop)

    def _on_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        if self._waiter is None:
            return  # nobody waits: the next wait arms it again
        if loop.time() >= self._deadline:
            _wake(self._waiter)
        else:
            self._timer = loop.call_at(self._deadline, self._on_timer, loop)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


class CommittedEvents(Protocol):
    """What a bus may read of the event log: a shared bus's reader fills from it what another
    process published late (the event log implements it)."""

    async def last_seq(self, project_id: str) -> int: ...

    async def read_between(
        self, project_id: str, after: int, before: int | None
    ) -> list[Envelope]: ...


class EventBus(Protocol):
    durable_only: bool
    """True when the bus reaches other processes: the log then numbers an event when its batch
    commits, under the project's row lock (every bus gets events only once committed)."""
    observe_lag: Callable[[float], None] | None
    """Told each event's lag in seconds once it is handed to this process's subscribers (the
    app's metrics); must not block or raise."""

    @classmethod
    def from_settings(cls, settings: Settings) -> EventBus: ...

    def attach(self, log: CommittedEvents) -> None:
        """The log that publishes here (it calls this once, as it is made)."""
        ...

    async def start(self) -> None: ...

    async def aclose(self) -> None:
        """Deliver what is still outgoing, then release connections and tasks (after the
        log's last flush)."""
        ...

    def publish(self, envelope: Envelope) -> None: ...

    def subscribe(self, project_id: str) -> AbstractContextManager[Subscription]: ...

    def subscriber_count(self, project_id: str | None = None) -> int: ...

    def close(self) -> None:
        """End every subscription, now and from now on: the server is stopping."""
        ...

    @property
    def closed(self) -> bool: ...


class InMemoryBus:
    """Single-process bus: publishing is a put_nowait per subscriber of that project."""

    durable_only = False

    def __init__(self, max_queued: int = 10_000) -> None:
        self._max_queued = max_queued
        self._subscribers: dict[str, set[Subscription]] = {}
        self._closed = False
        self.observe_lag: Callable[[float], None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> InMemoryBus:
        return cls()

    def attach(self, log: CommittedEvents) -> None:
        # One process numbers and publishes in seq order: nothing to put in order here.
        return None

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        self.close()

    def publish(self, envelope: Envelope) -> None:
        for subscription in self._subscribers.get(envelope.project_id, ()):
            subscription.deliver(envelope)
        if self.observe_lag is not None:
            # From the log's stamp (the emit), so the event's encoding and the fan-out count.
            self.observe_lag(max(time.time() - envelope.event.ts, 0.0))

    @contextmanager
    def subscribe(self, project_id: str) -> Iterator[Subscription]:
        subscription = Subscription(project_id, self._max_queued)
        subscription.mark_ready()
        if self._closed:
            # A stream opened while the server stops ends at once; the client resumes by id.
            subscription.close()
        self._subscribers.setdefault(project_id, set()).add(subscription)
        try:
            yield subscription
        finally:
            subscription.close()  # its timer too: nothing of it outlives the stream
            listeners = self._subscribers.get(project_id)
            if listeners is not None:
                listeners.discard(subscription)
                if not listeners:
                    del self._subscribers[project_id]

    def subscriber_count(self, project_id: str | None = None) -> int:
        if project_id is not None:
            return len(self._subscribers.get(project_id, ()))
        return sum(len(s) for s in self._subscribers.values())

    def close(self) -> None:
        self._closed = True
        for listeners in self._subscribers.values():
            for subscription in listeners:
                subscription.close()

    @property
    def closed(self) -> bool:
        return self._closed


BUSES: dict[str, str] = {
    "memory": "apiforge.events.bus:InMemoryBus",
    "redis": "apiforge.events.redis_bus:RedisBus",
}
