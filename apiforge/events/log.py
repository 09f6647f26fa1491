"""The event log: assigns each project's seq, persists in batches (group commit), replays.

An event reaches the bus only once its batch is committed, in both modes: a client never sees
an event that a crash of this process could still lose (a kill -9 used to lose up to one flush
window, 50 ms, of events already delivered live). To keep that from costing latency the writer
commits as soon as it is free (group commit, ``flush_interval_s=0``): what was appended while
one batch committed is the next batch.

Alone (the in-process bus), the log numbers an event as it is appended; seq numbers come from
blocks reserved in the projects table *before* they are handed out, so after a crash the next
number is still past anything any client could have seen: no seq is ever reused.

With a bus shared between processes (``durable_only``) several processes may emit for one
project at the same time (a generation on a worker, a preview or a restore on an API replica),
so a process's own block cannot order them. There an event gets its seq when its batch is
committed: inside that transaction, from the project's counter (``seq_reserved``) whose row the
update locks until the commit. A project's seqs are then dense (no holes) and committed in seq
order, whichever process writes them, and the bus gets each event only once it is committed: a
subscriber elsewhere that reads the log after subscribing cannot miss one in between, and one
that sees seq N knows every seq below N is in the log (the Redis bus's readers fill from there
what another process published late).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from apiforge.errors import DatabaseUnavailable
from apiforge.events import log_batch
from apiforge.events.bus import Envelope, EventBus
from apiforge.events.types import Event, parse_event
from apiforge.store.db import Database
from apiforge.store.models import Project, StoredEvent

log = logging.getLogger(__name__)

SEQ_BLOCK = 10_000


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
        flush_interval_s: float = 0.0,
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
        self._since_trim: Counter[str] = Counter()  # events written since the last trim
        self._reserve_lock = asyncio.Lock()
        # Appended but not yet committed: the writer's next batch. Removed only after its
        # commit and publication; reads of the log see committed events only.
        self._pending: list[Envelope] = []
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()
        self._closing = False
        # Numbered at commit: the shared bus, whose readers order what other processes publish.
        self._shared = bus.durable_only
        bus.attach(self)

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
        """The event as queued: numbered already alone, with seq 0 on a shared bus (its seq is
        given when its batch commits, and what is published carries it)."""
        seq = 0 if self._shared else await self._next_seq(event.project_id)
        stamped = event.model_copy(update={"seq": seq, "ts": time.time()})
        envelope = Envelope.wrap(stamped)
        self._pending.append(envelope)
        if self._observe is not None:
            self._observe(stamped)
        if self._flush_interval_s == 0 or len(self._pending) >= self._batch_max:
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
        if block is not None:
            return block.next - 1
        # Nothing handed out by this process yet (the next block starts past the reservation),
        # or shared: the counter is the newest seq committed by any process.
        async with self._db.read() as session:
            reserved = (
                await session.execute(select(Project.seq_reserved).where(Project.id == project_id))
            ).scalar_one_or_none()
        return reserved or 0

    async def has_project(self, project_id: str) -> bool:
        async with self._db.read() as session:
            found = await session.execute(select(Project.id).where(Project.id == project_id))
            return found.scalar_one_or_none() is not None

    def forget(self, project_id: str) -> None:
        """Drop in-memory state of a deleted project."""
        self._blocks.pop(project_id, None)
        self._since_trim.pop(project_id, None)
        self._pending = [e for e in self._pending if e.project_id != project_id]

    async def _write_loop(self) -> None:
        while not self._closing:
            # 0: no window, a batch is whatever was appended while the last one committed.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._flush_interval_s or None)
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
                    self._wakeup.set()  # what failed is still pending

    async def flush(self) -> None:
        async with self._flush_lock:
            while self._pending:
                batch = self._pending[: self._batch_max]
                started = time.perf_counter()
                written = await self._write(batch)
                if self._observe_flush is not None:
                    self._observe_flush(len(batch), time.perf_counter() - started)
                # Only a committed event may be seen: a crash cannot take it back, and a
                # subscriber that reads the log after subscribing cannot miss it in between.
                for envelope in written:
                    self._bus.publish(envelope)
                # By identity, not the first len(batch): forget() may have taken some meanwhile.
                sent = {id(envelope) for envelope in batch}
                self._pending = [e for e in self._pending if id(e) not in sent]

    async def settle(self) -> None:
        """Make the table hold what this process appended: reads of the log see only
        committed events. A caller cancelled meanwhile (a generation interrupted at a stop)
        still lets the flush end: once a SQLite batch is on the writer thread its commit goes
        on, and a batch committed but left pending would be written again."""
        flushing = asyncio.ensure_future(self.flush())
        try:
            await asyncio.shield(flushing)
        except asyncio.CancelledError:
            while not flushing.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait([flushing])
            if not flushing.cancelled():
                flushing.exception()  # retrieved: what failed is still pending, the writer retries
            raise

    async def _write(self, batch: list[Envelope]) -> list[Envelope]:
        """Commit the batch; the envelopes written, numbered (those of projects deleted in the
        meantime are dropped)."""
        try:
            return await self._commit(batch, check_projects=False)
        except IntegrityError:
            # A project deleted since its events were appended (its foreign key failed):
            # written again without them. Checking every batch up front cost a statement
            # each, and a client waits on every batch now (group commit).
            return await self._commit(batch, check_projects=True)

    async def _commit(self, batch: list[Envelope], *, check_projects: bool) -> list[Envelope]:
        retention, shared = self._retention, self._shared
        to_trim = self._due_for_trim(batch)

        def commit(connection: Connection) -> list[Envelope]:
            numbered = batch
            if shared:
                numbered = log_batch.number(connection, batch)
            elif check_projects:
                numbered = log_batch.of_existing(connection, batch)
            if numbered:
                connection.execute(insert(StoredEvent), [log_batch.row(e) for e in numbered])
            for project_id in to_trim & {e.project_id for e in numbered}:
                log_batch.trim(connection, project_id, retention)
            return numbered

        written = await self._db.transact(commit)
        self._count_for_trim(written, to_trim)
        return written

    def _due_for_trim(self, batch: list[Envelope]) -> set[str]:
        """The batch's projects to trim now: once every 1 % of the retention per project (a
        project may hold that many more events for a while), not at every batch: the trim's
        query cost each batch a statement, and clients wait on every batch."""
        every = max(1, self._retention // 100)
        counts = Counter(e.project_id for e in batch)
        return {p for p, count in counts.items() if self._since_trim[p] + count >= every}

    def _count_for_trim(self, written: list[Envelope], trimmed: set[str]) -> None:
        """Count what was committed (a deleted project's events were not), after the commit:
        a batch that failed and is written again is counted once."""
        for project_id, count in Counter(e.project_id for e in written).items():
            if project_id in trimmed:
                self._since_trim[project_id] = 0
            else:
                self._since_trim[project_id] += count

    async def read_after(self, project_id: str, after_seq: int) -> list[Envelope]:
        """Every retained, committed event of the project with seq > after_seq, in order (the
        others reach subscribers through the bus once committed)."""
        return await self.read_between(project_id, after_seq, None)

    async def read_between(self, project_id: str, after: int, before: int | None) -> list[Envelope]:
        """The project's stored events with after < seq < before (no bound: None), in order."""
        query = select(StoredEvent.data).where(
            StoredEvent.project_id == project_id, StoredEvent.seq > after
        )
        if before is not None:
            query = query.where(StoredEvent.seq < before)
        async with self._db.read() as session:
            rows = (await session.execute(query.order_by(StoredEvent.seq))).scalars()
            return [Envelope.wrap(parse_event(data)) for data in rows]

    async def latest_generation_start(self, project_id: str) -> int | None:
        """Seq of the project's most recent committed version:start, if it is still retained."""
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
        """The project's newest committed event id (0: none): the newest a client can have."""
        async with self._db.read() as session:
            stored = (
                await session.execute(
                    select(func.max(StoredEvent.seq)).where(StoredEvent.project_id == project_id)
                )
            ).scalar_one_or_none()
        return stored or 0

    async def trimmed_through(self, project_id: str) -> int:
        async with self._db.read() as session:
            value = (
                await session.execute(
                    select(Project.events_trimmed_through).where(Project.id == project_id)
                )
            ).scalar_one_or_none()
        return value or 0
