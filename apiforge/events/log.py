"""The event log: assigns each project's seq, publishes live at once, persists in batches.

A bus shared between processes (``durable_only``) gets each event only once it is committed,
so a subscriber elsewhere that reads the log after subscribing cannot miss one in between.

Seq numbers come from blocks reserved in the projects table *before* they are handed out, so
after a crash (which can lose the unflushed tail after clients saw it) the next number is still
past anything any client could have seen: no seq is ever reused. Processes sharing a database
each reserve their own blocks; a project's seq stays increasing across them because each burst
of its events (``BURST_STARTS``) begins with a fresh reservation.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from apiforge.errors import DatabaseUnavailable
from apiforge.events.bus import Envelope, EventBus
from apiforge.events.types import Event, parse_event
from apiforge.store.db import Database
from apiforge.store.models import Project, StoredEvent

log = logging.getLogger(__name__)

SEQ_BLOCK = 10_000
# Events that begin what one process emits for a project (a generation, a version made at once,
# a preview started on request). With a shared bus, each takes a fresh block: the project's
# previous burst may have come from another process, from a higher block.
BURST_STARTS = frozenset({"version:start", "preview:ready"})


@dataclass
class _SeqBlock:
    next: int
    limit: int


class EventLog:
    def __init__(
        self,
        db: Database,
        bus: EventBus,
        *,
        flush_interval_s: float = 0.05,
        batch_max: int = 500,
        retention: int = 100_000,
        observe: Callable[[Event], None] | None = None,
        observe_flush: Callable[[int, float], None] | None = None,
    ) -> None:
        self._db = db
        # Told of each appended event and of each batch written (its size and seconds): the
        # app's metrics. Neither may block or raise.
        self._observe = observe
        self._observe_flush = observe_flush
        self._bus = bus
        self._flush_interval_s = flush_interval_s
        self._batch_max = batch_max
        self._retention = retention
        self._blocks: dict[str, _SeqBlock] = {}
        self._reserve_lock = asyncio.Lock()
        # Appended but not yet committed; removed only after the commit, so a reader that
        # copies this list and then queries the table never misses an event.
        self._pending: list[Envelope] = []
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()
        self._closing = False

    async def start(self) -> None:
        self._writer = asyncio.create_task(self._write_loop(), name="event-log-writer")

    async def aclose(self) -> None:
        # The writer is asked to stop, not cancelled: a cancel between a batch's commit and its
        # removal from the pending list would make the final flush write that batch twice.
        if self._writer is not None:
            self._closing = True
            self._wakeup.set()
            await self._writer
            self._writer = None
        await self.flush()

    async def append(self, event: Event) -> Envelope:
        if self._bus.durable_only and event.type in BURST_STARTS:
            # Processes share the project: the last burst may have been another's, from a
            # higher block. A fresh reservation is past everything any process handed out.
            self._blocks.pop(event.project_id, None)
        seq = await self._next_seq(event.project_id)
        stamped = event.model_copy(update={"seq": seq, "ts": time.time()})
        envelope = Envelope.wrap(stamped)
        self._pending.append(envelope)
        if self._observe is not None:
            self._observe(stamped)
        if not self._bus.durable_only:
            self._bus.publish(envelope)
        if len(self._pending) >= self._batch_max:
            self._wakeup.set()
        return envelope

    async def _next_seq(self, project_id: str) -> int:
        block = self._blocks.get(project_id)
        if block is None or block.next > block.limit:
            async with self._reserve_lock:
                block = self._blocks.get(project_id)
                if block is None or block.next > block.limit:
                    block = await self._reserve(project_id)
                    self._blocks[project_id] = block
        seq = block.next
        block.next += 1
        return seq

    async def _reserve(self, project_id: str) -> _SeqBlock:
        async with self._db.transaction() as session:
            result = await session.execute(
                update(Project)
                .where(Project.id == project_id)
                .values(seq_reserved=Project.seq_reserved + SEQ_BLOCK)
                .returning(Project.seq_reserved)
            )
            limit = result.scalar_one()
        return _SeqBlock(next=limit - SEQ_BLOCK + 1, limit=limit)

    async def highest_seq(self, project_id: str) -> int:
        """No event of the project has a seq above this, nor ever had: a client claiming one
        holds an id this server never gave (or a project's that was deleted and re-created)."""
        block = self._blocks.get(project_id)
        if block is not None and not self._bus.durable_only:
            return block.next - 1
        # Nothing handed out by this process yet: the next block starts past the reservation.
        async with self._db.read() as session:
            reserved = (
                await session.execute(select(Project.seq_reserved).where(Project.id == project_id))
            ).scalar_one_or_none()
        # Shared: other processes may have handed out more than this one's block, never more
        # than the reservation.
        return max(reserved or 0, block.next - 1 if block is not None else 0)

    async def has_project(self, project_id: str) -> bool:
        async with self._db.read() as session:
            found = await session.execute(select(Project.id).where(Project.id == project_id))
            return found.scalar_one_or_none() is not None

    def forget(self, project_id: str) -> None:
        """Drop in-memory state of a deleted project."""
        self._blocks.pop(project_id, None)
        self._pending = [e for e in self._pending if e.project_id != project_id]

    async def _write_loop(self) -> None:
        while not self._closing:
            try:
                await asyncio.wait_for(self._wakeup.wait(), self._flush_interval_s)
            except TimeoutError:
                pass
            self._wakeup.clear()
            try:
                await self.flush()
            except Exception as error:
                if isinstance(error, DatabaseUnavailable):
                    # The database restarting: one line per retry, not a traceback each 0.5 s.
                    log.warning("event flush failed (%s); retrying", error)
                else:
                    log.exception("event flush failed; retrying")
                if not self._closing:
                    await asyncio.sleep(0.5)

    async def flush(self) -> None:
        async with self._flush_lock:
            while self._pending:
                batch = self._pending[: self._batch_max]
                started = time.perf_counter()
                await self._write(batch)
                if self._observe_flush is not None:
                    self._observe_flush(len(batch), time.perf_counter() - started)
                if self._bus.durable_only:
                    # Shared with other processes: they read this log after subscribing, so
                    # only a committed event may reach them (else it could fall between).
                    for envelope in batch:
                        self._bus.publish(envelope)
                del self._pending[: len(batch)]

    async def _write(self, batch: list[Envelope]) -> None:
        rows = [
            {
                "project_id": e.project_id,
                "seq": e.seq,
                "version_number": e.event.version_number,
                "type": e.event.type,
                "data": e.json,
            }
            for e in batch
        ]
        projects = {e.project_id for e in batch}
        async with self._db.transaction() as session:
            existing = set(
                (
                    await session.execute(
                        # FOR SHARE (PostgreSQL; SQLite ignores it and holds the write lock): a
                        # project deleted by another process waits for this batch, instead of
                        # the insert failing its foreign key after the check.
                        select(Project.id)
                        .where(Project.id.in_(projects))
                        .with_for_update(read=True)
                    )
                )
                .scalars()
                .all()
            )
            rows = [r for r in rows if r["project_id"] in existing]
            if rows:
                await session.execute(insert(StoredEvent), rows)
            for project_id in existing:
                await self._trim(session, project_id)

    async def _trim(self, session: AsyncSession, project_id: str) -> None:
        cutoff = (
            await session.execute(
                select(StoredEvent.seq)
                .where(StoredEvent.project_id == project_id)
                .order_by(StoredEvent.seq.desc())
                .offset(self._retention)
                .limit(1)
            )
        ).scalar_one_or_none()
        if cutoff is None:
            return
        await session.execute(
            delete(StoredEvent).where(
                StoredEvent.project_id == project_id, StoredEvent.seq <= cutoff
            )
        )
        await session.execute(
            update(Project).where(Project.id == project_id).values(events_trimmed_through=cutoff)
        )

    async def read_after(self, project_id: str, after_seq: int) -> list[Envelope]:
        """Every retained event of the project with seq > after_seq, in order."""
        pending = [e for e in list(self._pending) if e.project_id == project_id]
        async with self._db.read() as session:
            rows = (
                await session.execute(
                    select(StoredEvent.data)
                    .where(StoredEvent.project_id == project_id, StoredEvent.seq > after_seq)
                    .order_by(StoredEvent.seq)
                )
            ).scalars()
            stored = [Envelope.wrap(parse_event(data)) for data in rows]
        seen = {e.seq for e in stored}
        merged = stored + [e for e in pending if e.seq > after_seq and e.seq not in seen]
        merged.sort(key=lambda e: e.seq)
        return merged

    async def latest_generation_start(self, project_id: str) -> int | None:
        """Seq of the project's most recent version:start, if it is still retained."""
        for envelope in reversed(list(self._pending)):
            if envelope.project_id == project_id and envelope.event.type == "version:start":
                return envelope.seq
        async with self._db.read() as session:
            return (
                await session.execute(
                    select(func.max(StoredEvent.seq)).where(
                        StoredEvent.project_id == project_id,
                        StoredEvent.type == "version:start",
                    )
                )
            ).scalar_one_or_none()

    async def latest_of(
        self, project_id: str, version_number: int, types: frozenset[str]
    ) -> Event | None:
        """The version's newest retained event of one of ``types``: one indexed row, not
        the generation's whole log (a status read must stay cheap during a long run)."""
        for envelope in reversed(list(self._pending)):
            event = envelope.event
            if (event.project_id, event.version_number) == (project_id, version_number):
                if event.type in types:
                    return event
        async with self._db.read() as session:
            data = (
                await session.execute(
                    select(StoredEvent.data)
                    .where(
                        StoredEvent.project_id == project_id,
                        StoredEvent.version_number == version_number,
                        StoredEvent.type.in_(types),
                    )
                    .order_by(StoredEvent.seq.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
        return parse_event(data) if data is not None else None

    async def last_seq(self, project_id: str) -> int:
        """The project's newest event id, flushed or not (0: none)."""
        pending = [e.seq for e in list(self._pending) if e.project_id == project_id]
        async with self._db.read() as session:
            stored = (
                await session.execute(
                    select(func.max(StoredEvent.seq)).where(StoredEvent.project_id == project_id)
                )
            ).scalar_one_or_none()
        return max([stored or 0, *pending])

    async def trimmed_through(self, project_id: str) -> int:
        async with self._db.read() as session:
            value = (
                await session.execute(
                    select(Project.events_trimmed_through).where(Project.id == project_id)
                )
            ).scalar_one_or_none()
        return value or 0
