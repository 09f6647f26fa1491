"""Failover: every process beats, and a live one takes over the generations of a dead one.

DBOS recovers a process's PENDING workflows only when a process with the *same* executor id
launches. So each process (on a shared DBOS database) writes a heartbeat row in the app database
every fifth of ``failover_after_s``; a process that runs generations (a worker, or ``serve`` in
role ``all``) looks, as often, for executors silent for longer than ``failover_after_s``, claims
each with one conditional UPDATE (so one live process takes over a given dead one; the claim
lapses after ``failover_after_s`` in case the taker dies too) and hands its workflows to
``takeover.py``. A dead executor with nothing left to take over loses its row; it writes a new
one if it comes back.

Heartbeats compare the processes' own clocks (UTC), so hosts must keep them within a few seconds
of each other (NTP), well under ``failover_after_s``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import delete, insert, or_, update

from apiforge.periodic import Periodic
from apiforge.settings import Settings
from apiforge.store import repository as repo
from apiforge.store.db import Database
from apiforge.store.models import Executor

log = logging.getLogger(__name__)

BEATS_PER_PERIOD = 5

# Takes over a dead executor's generations; how many of its workflows are left PENDING.
TakeOver = Callable[[str], Awaitable[int]]


class Failover:
    """The heartbeat and take-over loop of one process; started and closed by the lifespan."""

    def __init__(self, db: Database, settings: Settings, take_over: TakeOver) -> None:
        self.db = db
        self.executor_id = settings.resolved_executor_id
        self.role = settings.role
        self.after = timedelta(seconds=settings.failover_after_s)
        self.take_over = take_over
        period = self.after.total_seconds() / BEATS_PER_PERIOD
        self._rounds = Periodic("failover", period, self._round)

    async def start(self) -> None:
        await self.beat()
        self._rounds.start()

    async def aclose(self) -> None:
        # The row stays: a process stopped for good is taken over like a dead one.
        await self._rounds.aclose()

    async def _round(self) -> None:
        # A failed round (the database down for a while) is logged by Periodic: beat again next.
        await self.beat()
        # An api process runs no generation, so it takes none over; it still beats.
        if self.role != "api":
            await self.sweep()

    async def beat(self) -> None:
        values = {"heartbeat_at": repo.now(), "swept_at": None, "swept_by": None}
        async with self.db.transaction() as session:
            mine = Executor.executor_id == self.executor_id
            updated = await session.execute(update(Executor).where(mine).values(**values))
            if updated.rowcount == 0:  # type: ignore[attr-defined]
                row = {"executor_id": self.executor_id, "role": self.role, **values}
                await session.execute(insert(Executor).values(**row))

    async def claim_dead(self) -> list[str]:
        """The executors silent for longer than the failover time that this process now
        takes over; a concurrent claim by another process gets none of the same ones."""
        now = repo.now()
        silent_since = now - self.after
        async with self.db.transaction() as session:
            claimed = await session.execute(
                update(Executor)
                .where(
                    Executor.executor_id != self.executor_id,
                    Executor.heartbeat_at < silent_since,
                    or_(Executor.swept_at.is_(None), Executor.swept_at < silent_since),
                )
                .values(swept_at=now, swept_by=self.executor_id)
                .returning(Executor.executor_id)
            )
            return sorted(claimed.scalars())

    async def sweep(self) -> None:
        for dead in await self.claim_dead():
            left = await self.take_over(dead)
            if left == 0:
                await self._forget(dead)

    async def _forget(self, dead: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                delete(Executor).where(
                    Executor.executor_id == dead, Executor.swept_by == self.executor_id
                )
            )
