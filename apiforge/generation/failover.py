"""Failover: every process beats, and a live one takes over the generations of a dead one.

DBOS recovers a process's PENDING workflows only when a process with the *same* executor id
launches. So each process (on a shared DBOS database) writes a heartbeat row in the app database
every fifth of ``failover_after_s``; a process that runs generations (a worker, or ``serve`` in
role ``all``) looks, as often, for executors silent for longer than ``failover_after_s``, claims
each with one conditional UPDATE (so one live process takes over a given dead one; the claim
lapses after ``failover_after_s`` in case the taker dies too) and hands its workflows to
``takeover.py``. A dead executor with nothing left to take over loses its row; it writes a new
one if it comes back.

Rolling deploys: DBOS resumes a workflow only in a process of the application version that
started it. So each row records its process's version, and a dead executor is claimed only by a
process of its own version while one of them (a worker or ``serve``) is alive; a process of
another version claims it only once none is, and then ends its generations ``failed``
(``takeover.py``). Workflows of a version other than the row's (the process was restarted under
the same id with another version, then died) left PENDING for a live process of their version
hand the row over to that version: its processes claim it at their next round.

Another loop ends the running generations whose workflow no process will run, though no
dead executor holds it (left ENQUEUED for a version no live process runs, or dead-lettered by
DBOS after its recovery attempts): ``stranded.py``.

Heartbeats compare the processes' own clocks (UTC), so hosts must keep them within a few seconds
of each other (NTP), well under ``failover_after_s``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, insert, or_, select, update
from sqlalchemy.orm import aliased

from apiforge.periodic import Periodic
from apiforge.settings import Settings
from apiforge.store import repository as repo
from apiforge.store.db import Database
from apiforge.store.models import Executor

log = logging.getLogger(__name__)

BEATS_PER_PERIOD = 5

# Takes over a dead executor's generations, given the application versions a live process
# runs; the versions of its workflows left PENDING (for a live process of theirs, or because
# failing one failed).
TakeOver = Callable[[str, frozenset[str]], Awaitable[list[str]]]
# Ends the running generations whose workflow waits for nothing (``stranded.py``), given the
# application versions a live process runs and the time before which a queued one has waited
# out the failover time; how many it ended.
EndStranded = Callable[[frozenset[str], datetime], Awaitable[int]]


class Failover:
    """The heartbeat and take-over loop of one process; started and closed by the lifespan."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        take_over: TakeOver,
        end_stranded: EndStranded | None = None,
    ) -> None:
        self.db = db
        self.executor_id = settings.resolved_executor_id
        self.role = settings.role
        self.app_version = settings.application_version
        self.host = settings.resolved_preview_host
        self.internal_url = settings.internal_url
        self.after = timedelta(seconds=settings.failover_after_s)
        self.take_over = take_over
        self.end_stranded = end_stranded
        period = self.after.total_seconds() / BEATS_PER_PERIOD
        # Three loops, so that one waiting on DBOS's database (DBOS retries until it is back)
        # holds up neither of the others: a process whose beat waited would be taken for dead
        # and its generations run twice; a take-over must not wait for the stranded ones. An
        # api process runs no generation, so it takes none over and ends none; it still beats.
        # Stranded ones are looked for once per failover time: a queued one waits that long.
        self._loops = [Periodic("heartbeat", period, self.beat)]
        if self.role != "api":
            self._loops.append(Periodic("failover", period, self.sweep))
            self._loops.append(Periodic("stranded", self.after.total_seconds(), self.stranded))

    async def start(self) -> None:
        await self.beat()
        for loop in self._loops:
            loop.start()

    async def aclose(self) -> None:
        # The row stays: a process stopped for good is taken over like a dead one.
        for loop in reversed(self._loops):
            await loop.aclose()

    async def beat(self) -> None:
        values = {
            "heartbeat_at": repo.now(),
            "swept_at": None,
            "swept_by": None,
            # Both may change across a restart under the same id (a rolling deploy).
            "app_version": self.app_version,
            "host": self.host,
            "internal_url": self.internal_url,
        }
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
        live = aliased(Executor)
        runner_of_its_version = exists().where(
            live.app_version == Executor.app_version,
            live.role != "api",
            live.heartbeat_at >= silent_since,
        )
        async with self.db.transaction() as session:
            claimed = await session.execute(
                update(Executor)
                .where(
                    Executor.executor_id != self.executor_id,
                    Executor.heartbeat_at < silent_since,
                    or_(Executor.swept_at.is_(None), Executor.swept_at < silent_since),
                    # Its own version resumes it if it can; another only ends it.
                    or_(Executor.app_version == self.app_version, ~runner_of_its_version),
                )
                .values(swept_at=now, swept_by=self.executor_id)
                .returning(Executor.executor_id)
            )
            return sorted(claimed.scalars())

    async def live_versions(self) -> frozenset[str]:
        """The application versions some live process that runs generations has."""
        silent_since = repo.now() - self.after
        async with self.db.read() as session:
            versions = await session.execute(
                select(Executor.app_version)
                .where(Executor.role != "api", Executor.heartbeat_at >= silent_since)
                .distinct()
            )
            return frozenset(version for version in versions.scalars() if version is not None)

    async def sweep(self) -> None:
        for dead in await self.claim_dead():
            live = await self.live_versions()
            left = await self.take_over(dead, live)
            waiting_for = sorted(set(left) & (live - {self.app_version}))
            if not left:
                await self._forget(dead)
            elif waiting_for:
                await self._hand_over(dead, waiting_for[0])

    async def stranded(self) -> None:
        if self.end_stranded is not None:
            ended = await self.end_stranded(await self.live_versions(), repo.now() - self.after)
            if ended:
                log.warning("ended %d generation(s) no process would run", ended)

    async def _hand_over(self, dead: str, version: str) -> None:
        """Its workflows left for a live process of ``version``: the row names that version
        and is unclaimed, so such a process claims it at its next round."""
        async with self.db.transaction() as session:
            await session.execute(
                update(Executor)
                .where(Executor.executor_id == dead, Executor.swept_by == self.executor_id)
                .values(app_version=version, swept_at=None, swept_by=None)
            )

    async def _forget(self, dead: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                delete(Executor).where(
                    Executor.executor_id == dead, Executor.swept_by == self.executor_id
                )
            )
