"""Concurrency slots, each with its own unprivileged uid.

RLIMIT_NPROC counts processes per real uid across the whole machine, so two sandboxes sharing a
uid would share one process budget (and one could starve the other). One uid per slot keeps the
limit per sandbox.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


def can_switch_uid() -> bool:
    return os.geteuid() == 0


class SlotPool:
    """``count`` slots with uids ``first_uid .. first_uid + count - 1``.

    Without root there is no uid to switch to: slots still bound concurrency, and their uid is
    ``None`` (the sandbox then runs as the current user inside a user namespace).
    """

    def __init__(self, first_uid: int, count: int) -> None:
        if count < 1:
            raise ValueError("a slot pool needs at least one slot")
        switch = can_switch_uid()
        self._free: asyncio.Queue[int | None] = asyncio.Queue()
        for index in range(count):
            self._free.put_nowait(first_uid + index if switch else None)
        self.size = count

    @property
    def available(self) -> int:
        return self._free.qsize()

    def try_take(self) -> tuple[bool, int | None]:
        """Take a slot without waiting: ``(taken, uid)``."""
        try:
            return True, self._free.get_nowait()
        except asyncio.QueueEmpty:
            return False, None

    def give_back(self, uid: int | None) -> None:
        self._free.put_nowait(uid)

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[int | None]:
        uid = await self._free.get()
        try:
            yield uid
        finally:
            self._free.put_nowait(uid)
