"""The generation queue's limits, as each process registers them with DBOS.

DBOS keeps a queue's configuration as one row of its system database, which every process
re-reads at each poll: its ``worker_concurrency`` caps each worker, one value for all of them
(DBOS has no per-process one), and its ``concurrency`` caps all workers together. The row is
the cluster's, so who writes it decides the limits:

- a worker writes its settings, unless a newer application version than its own registered
  already (DBOS's ``update_if_latest_version``: an old worker of a rolling deploy does not
  revert the new one's limits); the last worker to start sets every worker's;
- an api process runs no generation: it only creates the row if there is none yet (it may
  enqueue before any worker started), and never overwrites the workers' limits, as it did
  with its own settings, often the defaults, whenever it started after them;
- a process of role ``all`` registers nothing: it starts its own generations directly (the
  limits do not count them) and takes queued ones at the row's limits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from dbos import DBOS, Queue

from apiforge.generation.steps.workflow import GENERATION_QUEUE
from apiforge.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueLimits:
    """Generations at once on each worker, and in all (None: no limit)."""

    per_worker: int | None
    in_all: int | None

    @classmethod
    def of_settings(cls, settings: Settings) -> QueueLimits:
        in_all = settings.queue_concurrency or None
        per_worker = settings.worker_concurrency
        # A worker can never run more than all of them may: DBOS refuses such a queue, which
        # made a worker with the default 2 and a queue limit of 1 exit at start-up.
        if in_all is not None:
            per_worker = min(per_worker, in_all)
        return cls(per_worker, in_all)

    @classmethod
    async def of_queue(cls, queue: Queue) -> QueueLimits:
        """As the queue's row says now (each getter reads it again)."""
        return cls(
            await queue.get_worker_concurrency_async(), await queue.get_global_concurrency_async()
        )

    def __str__(self) -> str:
        def shown(limit: int | None) -> str:
            return "no limit" if limit is None else str(limit)

        return f"{shown(self.per_worker)} per worker, {shown(self.in_all)} in all"


async def register_generation_queue(settings: Settings) -> None:
    if settings.role == "all":
        return
    wanted = QueueLimits.of_settings(settings)
    if settings.role == "api":
        await _register(settings, wanted, overwrite=False)
        return
    before = await DBOS.retrieve_queue_async(GENERATION_QUEUE)
    previous = None if before is None else await QueueLimits.of_queue(before)
    registered = await QueueLimits.of_queue(await _register(settings, wanted, overwrite=True))
    if report := worker_limits_report(previous, wanted, registered):
        log.log(*report)


async def _register(settings: Settings, limits: QueueLimits, overwrite: bool) -> Queue:
    """The queue as registered. Its poll is ours: DBOS's default (1 s) capped each worker at
    ``worker_concurrency`` generations a second and made a queued generation wait half a
    second on average before its first event; a poll is one indexed query."""
    return await DBOS.register_queue_async(
        GENERATION_QUEUE,
        worker_concurrency=limits.per_worker,
        global_concurrency=limits.in_all,
        polling_interval_sec=settings.queue_poll_ms / 1000,
        on_conflict="update_if_latest_version" if overwrite else "never_update",
    )


def worker_limits_report(
    previous: QueueLimits | None, wanted: QueueLimits, registered: QueueLimits
) -> tuple[int, str] | None:
    """What to log (level, message) when a worker's registration did more than confirm the
    cluster's limits: it changed every worker's (news: an api process that created the queue
    leaves its own settings there), or the queue's are not its settings (trouble)."""
    if registered != wanted:
        return logging.WARNING, (
            f"the generation queue's limits are {registered}, not this worker's settings "
            f"({wanted}): a worker registered after it, or one of a newer application version "
            "did before; DBOS keeps one per-worker limit for all workers"
        )
    if previous is not None and previous != registered:
        return logging.INFO, (
            f"the generation queue's limits are now {registered}, for every worker (they were "
            f"{previous}): DBOS keeps one per-worker limit for all workers"
        )
    return None
