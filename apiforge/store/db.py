"""The app database: async engine, sessions, migrations on startup.

SQLite needs care for correctness under concurrency: pysqlite opens a transaction lazily, only
before the first write, so a SELECT-then-INSERT is not atomic. We switch the driver to autocommit
and issue ``BEGIN IMMEDIATE`` ourselves, which takes the write lock up front.

PostgreSQL runs READ COMMITTED and has no database-wide write lock, so the read-then-write paths
name what they serialise on instead (``serialize``: transaction-scoped advisory locks), and
migrations run under one advisory lock so several processes starting at once upgrade once.

A database that cannot be reached (stopped, restarting, a dropped connection) is one error,
:class:`DatabaseUnavailable` (503 ``database_unavailable``, retryable), raised by
``transaction`` and ``read`` whatever the driver said. PostgreSQL connections are checked
before use (``pool_pre_ping``), so the pool's connections from before a restart are replaced,
not handed to the first requests after it; and a connect gives up after ``CONNECT_TIMEOUT_S``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from asyncpg import exceptions as asyncpg_errors
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from apiforge.errors import DatabaseUnavailable

T = TypeVar("T")
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any fixed 64-bit number: the advisory lock every apiforge process takes around `upgrade`.
MIGRATION_LOCK = 0x61706966_6F726765
# asyncpg's default is 60 s: a request must not hang that long on a database host that does
# not answer (a stopped server refuses at once; a vanished host only times out).
CONNECT_TIMEOUT_S = 5.0
# What asyncpg raises when the server is away or going: refused, starting up or shutting down
# (57P0x), the connection gone mid-query. SQLAlchemy wraps them; ``is_unreachable`` unwraps.
_UNREACHABLE = (
    ConnectionError,
    TimeoutError,
    asyncpg_errors.PostgresConnectionError,
    asyncpg_errors.ConnectionDoesNotExistError,
    asyncpg_errors.CannotConnectNowError,
    asyncpg_errors.OperatorInterventionError,
)


def is_unreachable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached, rather than that a statement
    failed: the connection was refused, timed out or dropped (the driver's own error,
    SQLAlchemy's wrapping of it, or a disconnect SQLAlchemy detected)."""
    current: BaseException | None = error
    for _ in range(8):  # a cause chain is short; the bound only guards against a cycle
        if current is None:
            return False
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, _UNREACHABLE):
            return True
        orig = current.orig if isinstance(current, DBAPIError) else None
        current = orig if orig is not None else current.__cause__
    return False


@asynccontextmanager
async def _reachable() -> AsyncIterator[None]:
    try:
        yield
    except DatabaseUnavailable:
        raise
    except Exception as error:
        if is_unreachable(error):
            raise DatabaseUnavailable() from error
        raise


def _configure_sqlite(sync_engine: Engine) -> None:
    @event.listens_for(sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _configure_sqlite_reader(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


class Database:
    """Owns the engines; hands out sessions whose transaction commits on success.

    With SQLite, writes go through an engine that takes the write lock at BEGIN; reads use a
    second engine with ordinary deferred transactions, so under WAL they never wait on writers.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"isolation_level": None}
        else:
            kwargs["pool_pre_ping"] = True
            kwargs["connect_args"] = {"timeout": CONNECT_TIMEOUT_S}
        self.engine = create_async_engine(url, **kwargs)
        self._reader = self.engine
        if self.is_sqlite:
            _configure_sqlite(self.engine.sync_engine)
            self._reader = create_async_engine(url)
            _configure_sqlite_reader(self._reader)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self._reader, expire_on_commit=False)
        self._sync_writer: _SqliteWriterThread | None = None
        if self.is_sqlite:
            self._sync_writer = _SqliteWriterThread(url)

    @property
    def shared(self) -> bool:
        """Whether other processes may write this database (PostgreSQL). A SQLite file belongs
        to one server: its data dir's claim keeps a second one out."""
        return not self.is_sqlite

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with _reachable(), self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with _reachable(), self._read_sessions() as session, session.begin():
            yield session

    async def transact(self, work: Callable[[Connection], T]) -> T:
        """``work``'s result, run with a synchronous connection inside one write transaction.

        For a hot path that writes in a burst (the event log's batches). Through the async
        session every SQLite statement is several hops to aiosqlite's thread and back, each
        waiting for a turn of a busy loop; here the whole transaction is one hop, to a thread
        of its own. PostgreSQL's driver needs no thread: ``work`` runs on the loop.
        """
        async with _reachable():
            if self._sync_writer is not None:
                return await self._sync_writer.run(work)
            async with self.engine.begin() as connection:
                return await connection.run_sync(work)

    async def migrate(self) -> None:
        async with self.engine.begin() as connection:
            if not self.is_sqlite:
                # Held until this transaction commits (Postgres DDL is transactional): a second
                # process waits here, then finds the schema at head and does nothing.
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            await connection.run_sync(_upgrade_to_head)

    async def close(self) -> None:
        if self._sync_writer is not None:
            await self._sync_writer.close()
        await self.engine.dispose()
        if self._reader is not self.engine:
            await self._reader.dispose()


class _SqliteWriterThread:
    """One thread with one SQLite connection, configured as the async writer's (WAL, write
    lock taken at BEGIN), for :meth:`Database.transact`."""

    def __init__(self, url: str) -> None:
        sync_url = make_url(url).set(drivername="sqlite")
        self._engine = create_engine(
            sync_url, connect_args={"isolation_level": None, "check_same_thread": False}
        )
        _configure_sqlite(self._engine)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="apiforge-db-writer")

    async def run(self, work: Callable[[Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._run, work)

    def _run(self, work: Callable[[Connection], T]) -> T:
        with self._engine.begin() as connection:
            return work(connection)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._engine.dispose)
        self._thread.shutdown(wait=False)


async def serialize(session: AsyncSession, *keys: str) -> None:
    """Make this writing transaction the only one holding ``keys`` until it ends.

    SQLite's writer already holds the database's write lock (BEGIN IMMEDIATE). On PostgreSQL a
    count-then-insert would let two transactions both see the last free slot, so each key
    becomes a transaction-scoped advisory lock, taken in sorted order (no deadlock between two
    callers naming overlapping keys).
    """
    if session.get_bind().dialect.name == "sqlite":
        return
    for key in sorted(set(keys)):
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )


def _upgrade_to_head(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
