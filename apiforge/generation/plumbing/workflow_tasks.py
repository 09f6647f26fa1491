"""This process's generation workflows as asyncio tasks, so the lifespan ends them itself.

DBOS starts each workflow as a task of its own, which nothing in the app owned: at a graceful
stop they ran on past the lifespan into DBOS's stopped thread pool (DBOS makes its pool the
loop's default executor), and a step's ``asyncio.to_thread`` then raised "cannot schedule new
futures after shutdown". The workflow took that for a failure: it logged tracebacks and tried
to end the version ``failed``, a version that should have resumed at the next start.
Cancelling them before DBOS stops is what DBOS itself expects of a stop: a cancelled workflow
keeps its status (PENDING) and resumes from its last checkpoint at the next start, or on
another process by failover. A workflow in its last step is let end instead: its version has
ended and what is left (the preview's start) takes a moment, while a cancel would make the next
start run the whole step again, and start a preview nobody asked for since. (A moment because
the lifespan refuses preview starts before this: a boot under way gives up at once.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

log = logging.getLogger(__name__)


class WorkflowTasks:
    """The tasks running a generation workflow in this process. Owned by the app lifespan."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()
        self._finishing: set[asyncio.Task[object]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """Count the current task as a workflow's for as long as the block runs."""
        task = asyncio.current_task()
        if task is None:  # pragma: no cover - a workflow always runs in a task
            yield
            return
        self._tasks.add(task)
        try:
            yield
        finally:
            self._tasks.discard(task)
            self._finishing.discard(task)

    def finishing(self) -> None:
        """The current workflow is in its last step: a stop waits for it (see the module)."""
        task = asyncio.current_task()
        if task in self._tasks:
            self._finishing.add(task)

    async def interrupt(self, timeout_s: float = 5.0) -> None:
        """Cancel every running workflow and wait (at most ``timeout_s``) until each has
        stopped at its current step; their DBOS workflows stay PENDING for the next start."""
        tasks = list(self._tasks)
        if not tasks:
            return
        interrupted = [task for task in tasks if task not in self._finishing]
        if interrupted:
            log.warning(
                "stopping: %d running generation(s) resume at the next start", len(interrupted)
            )
        for task in interrupted:
            task.cancel()
        _, still = await asyncio.wait(tasks, timeout=timeout_s)
        for task in still:
            task.cancel()
        if still:
            log.warning("%d generation(s) did not stop within %.0f s", len(still), timeout_s)
