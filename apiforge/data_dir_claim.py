"""One serving process per data directory, and how others find it.

A process that serves a data dir (``apiforge serve`` or the CLI's embedded server) holds an
exclusive ``flock`` on ``<data dir>/server.lock`` and writes its pid and URL into it. Two
processes on the same SQLite/DBOS files would each recover and fail the other's generations, so a
second one is refused; the CLI reads the file to talk to the owner instead of embedding.

The kernel drops a ``flock`` when its holder dies, even by SIGKILL, so a stale file is never
mistaken for a live owner: only a held lock counts. Kept free of heavy imports (the CLI's fast
path reads it).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from apiforge.errors import ApiforgeError

if TYPE_CHECKING:
    from fastapi import FastAPI

LOCK_NAME = "server.lock"
# The owner writes its record just after locking; a reader arriving in between waits this long.
_RECORD_WAIT_S = 1.0


@dataclass(frozen=True)
class ServerRecord:
    pid: int
    url: str


class DataDirInUse(ApiforgeError):
    code = "data_dir_in_use"
    status_code = 409

    def __init__(self, data_dir: Path, owner: ServerRecord | None) -> None:
        who = f"apiforge (pid {owner.pid}, {owner.url})" if owner else "another apiforge process"
        super().__init__(f"{data_dir} is already served by {who}; stop it or use it")
        self.owner = owner


def local_url(host: str, port: int) -> str:
    """The URL a process on this machine reaches a server bound to ``host:port`` at."""
    reachable = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in reachable:
        reachable = f"[{reachable}]"
    return f"http://{reachable}:{port}"


def _parse_record(text: str) -> ServerRecord | None:
    try:
        raw = json.loads(text)
        return ServerRecord(pid=int(raw["pid"]), url=str(raw["url"]))
    except (ValueError, KeyError, TypeError):
        return None


def current_owner(data_dir: Path) -> ServerRecord | None:
    """The live process serving ``data_dir``, or None when nobody holds the lock."""
    try:
        fd = os.open(data_dir / LOCK_NAME, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_record(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_record(fd: int) -> ServerRecord | None:
    deadline = time.monotonic() + _RECORD_WAIT_S
    while True:
        record = _parse_record(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
        if record is not None or time.monotonic() > deadline:
            return record
        time.sleep(0.02)


class DataDirClaim:
    """The exclusive claim on a data dir, held for as long as the process serves it."""

    def __init__(self, data_dir: Path, url: str) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataDirInUse(data_dir, current_owner(data_dir)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "url": url}).encode(), 0)
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock; the stale record is then ignored
            self._fd = None


Lifespan = Callable[["FastAPI"], AbstractAsyncContextManager[None]]


def claiming_data_dir(lifespan: Lifespan) -> Lifespan:
    """``lifespan`` run while holding the claim on the app's data dir (taken before anything,
    DBOS recovery included, touches it)."""

    @asynccontextmanager
    async def claimed(app: FastAPI) -> AsyncIterator[None]:
        settings = app.state.settings
        claim = DataDirClaim(settings.data_dir, local_url(settings.host, settings.port))
        try:
            async with lifespan(app):
                yield
        finally:
            claim.release()

    return claimed
