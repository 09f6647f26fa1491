"""A service's background round: run every so often, sooner when woken, until closed.

Heartbeats, credential re-checks and shared connection counts all need the same loop, and the
same rule for it: a round that fails (the database or Redis away for a while) is logged and the
next round runs; only ``aclose`` ends the loop. The service that makes one owns it, and its
owner (the app lifespan) closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, interval_s: float, round_: Callable[[], Awaitable[None]]) -> None:
        self.name = name
        self.interval_s = interval_s
        self._round = round_
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """The first round runs one interval from now (or when woken)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    def wake(self) -> None:
        """Run the next round now rather than at the end of the interval."""
        self._wakeup.set()

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self.interval_s)
            self._wakeup.clear()
            try:
                await self._round()
            except Exception:
                log.exception("%s: this round failed; the next one runs as planned", self.name)
