"""The ``previews`` table: which process (on which host) runs each project's preview, and where
its socket is, so any process of the deployment can find it.

One row per project (a project has one preview). A row is written by the process that started
the preview, after it serves, and replaced by whichever process starts the project's next one;
the process whose row was replaced stops its own preview at its next sync (shared_previews.py).
A row can outlive its process (kill -9): readers check that it is alive before trusting it —
on the same host by connecting to its socket, on another host by the owner's heartbeat in the
``executors`` table (generation/failover.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from apiforge.sandbox.bwrap import SOCKET_NAME, JobPaths
from apiforge.store import repository as repo
from apiforge.store.db import Database
from apiforge.store.models import Executor, RunningPreview

HOST = socket.gethostname()


class PreviewRegistry:
    """Reads and writes the ``previews`` rows on behalf of one process (``executor_id``)."""

    def __init__(self, db: Database, executor_id: str, host: str = HOST) -> None:
        self.db = db
        self.executor_id = executor_id
        self.host = host

    async def claim(
        self, project_id: str, version_number: int, job: JobPaths, *, partial: bool = False
    ) -> None:
        """Record this process's preview of the project, replacing whoever held it."""
        now = repo.now()
        row = {
            "project_id": project_id,
            "version_number": version_number,
            "job_dir": str(job.root),
            "partial": partial,
            "host": self.host,
            "executor_id": self.executor_id,
            "started_at": now,
            "last_used_at": now,
        }
        insert = sqlite_insert if self.db.is_sqlite else postgres_insert
        changed = {key: value for key, value in row.items() if key != "project_id"}
        statement = insert(RunningPreview).values(row)
        statement = statement.on_conflict_do_update(index_elements=["project_id"], set_=changed)
        async with self.db.transaction() as session:
            await session.execute(statement)

    async def find(self, project_id: str) -> RunningPreview | None:
        async with self.db.read() as session:
            row: RunningPreview | None = await session.get(RunningPreview, project_id)
            return row

    async def mine(self) -> dict[str, RunningPreview]:
        async with self.db.read() as session:
            rows = await session.scalars(
                select(RunningPreview).where(RunningPreview.executor_id == self.executor_id)
            )
            return {row.project_id: row for row in rows}

    async def forget(self, project_id: str, job_dir: str | None = None) -> None:
        """Remove the project's row; with ``job_dir``, only while it still names that preview
        (a newer one registered meanwhile stays)."""
        where = [RunningPreview.project_id == project_id]
        if job_dir is not None:
            where.append(RunningPreview.job_dir == job_dir)
        async with self.db.transaction() as session:
            await session.execute(delete(RunningPreview).where(*where))

    async def touch(self, project_id: str, job_dir: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(RunningPreview)
                .where(RunningPreview.project_id == project_id, RunningPreview.job_dir == job_dir)
                .values(last_used_at=repo.now())
            )

    async def owner_beats(self, executor_id: str, within_s: float) -> bool | None:
        """Whether the executor's heartbeat is younger than ``within_s``; None without a row."""
        async with self.db.read() as session:
            beat = await session.scalar(
                select(Executor.heartbeat_at).where(Executor.executor_id == executor_id)
            )
        if beat is None:
            return None
        return beat > repo.now() - timedelta(seconds=within_s)

    async def internal_url_on(self, host: str, owner: str, within_s: float) -> str | None:
        """The internal URL of a live process of ``host`` (its owner ``owner`` first), or None
        when none advertises one."""
        fresh = repo.now() - timedelta(seconds=within_s)
        async with self.db.read() as session:
            rows = await session.execute(
                select(Executor.executor_id, Executor.internal_url).where(
                    Executor.host == host,
                    Executor.internal_url.is_not(None),
                    Executor.heartbeat_at > fresh,
                )
            )
            urls = {str(executor): str(url) for executor, url in rows}
        if owner in urls:
            return urls[owner]
        return urls[min(urls)] if urls else None


async def socket_answers(job_dir: str) -> bool:
    """Whether something listens on the preview's socket under ``job_dir`` (same host only).

    False only for a definite no (no such file, nobody listening): a busy socket is alive.
    """
    try:
        fd = os.open(os.path.join(job_dir, "sock"), os.O_PATH | os.O_DIRECTORY)
    except FileNotFoundError:
        return False
    try:
        # Through /proc/self/fd: AF_UNIX paths are limited to 108 bytes (as in connection.py).
        path = f"/proc/self/fd/{fd}/{SOCKET_NAME}"
        _, writer = await asyncio.wait_for(asyncio.open_unix_connection(path), 2.0)
    except OSError as error:
        return error.errno not in (errno.ECONNREFUSED, errno.ENOENT)
    except TimeoutError:
        return True
    finally:
        os.close(fd)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
