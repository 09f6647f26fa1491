"""Whether DBOS's system database answers, asked before a generation is committed.

DBOS retries every system-database call until its database is back (``dbos._sys_db.db_retry``:
availability traded for correctness), so a generation started while that database is down would
hang the request, and its version row, already committed, would stay ``pending`` with no
workflow. The app database may be another server that is up. So a process whose DBOS database is
PostgreSQL asks it first, on one connection of its own with a short timeout, and the request
answers 503 ``dbos_unavailable`` (retryable) instead. Only the start of a generation needs DBOS
in a request: streaming, listing and Stop read the app database alone. A DBOS database that goes
away between this check and the workflow's start still makes that one request wait for it.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from apiforge.errors import DbosUnavailable

log = logging.getLogger(__name__)

# A refused connection answers at once; a host that does not answer costs this much.
CHECK_TIMEOUT_S = 3.0


class DbosHealth:
    """One connection to DBOS's PostgreSQL system database, reopened when it fails; owned by
    the generation service and closed by the lifespan."""

    def __init__(self, dbos_url: str | None) -> None:
        is_postgres = bool(dbos_url) and str(dbos_url).startswith(("postgresql://", "postgres://"))
        self.url = dbos_url if is_postgres else None
        self._connection: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()

    async def check(self) -> None:
        """Raise :class:`DbosUnavailable` unless DBOS's database answers a query now."""
        if self.url is None:
            return  # SQLite in the data dir: there whenever this process is.
        async with self._lock:
            try:
                await asyncio.wait_for(self._select_one(), CHECK_TIMEOUT_S)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("DBOS's system database does not answer: %s", error)
                await self._drop()
                raise DbosUnavailable() from error

    async def _select_one(self) -> None:
        if self._connection is None or self._connection.is_closed():
            self._connection = await asyncpg.connect(self.url)
        await self._connection.fetchval("SELECT 1")

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.terminate()

    async def aclose(self) -> None:
        async with self._lock:
            await self._drop()
