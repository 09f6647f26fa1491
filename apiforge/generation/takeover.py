"""Taking over a dead executor's generations through DBOS recovery; the one place that calls it.

DBOS 3.4 has no public call for "recover the pending workflows of executor X" (``DBOS.launch``
does it for the process's own id). ``DBOS.resume_workflow`` re-enqueues a PENDING workflow too,
but whoever runs it now (no executor condition: a late resume makes it run twice) and with its
recovery attempts reset; ``fork_workflow`` copies it under a new id. The private
``DBOS._recover_pending_workflows`` is what launch-time recovery runs: for each PENDING workflow of
the given executors and this application version, one conditional UPDATE (``status = PENDING AND
executor_id IN (...)``) puts it back on its queue (``generations`` for queued ones, DBOS's internal
queue for ones a ``serve`` started itself) as ENQUEUED, and a queue's dequeue admits exactly one
process, which becomes its executor and resumes it from its last checkpoint. A second recovery of
the same executor matches nothing. ``tests/scale/test_scale_failover.py`` pins that behaviour.

What cannot be resumed here — a workflow still PENDING after recovery, recorded by another
application version — is left PENDING while a live process of that version runs generations
(``failover.py`` hands the executor over to that version); with none alive it is cancelled and its
version ends ``failed`` with a message that says so (``stranded.py``, which also ends the
generations left ENQUEUED for a version no live process runs).
"""

from __future__ import annotations

import asyncio
import logging

from dbos import DBOS

from apiforge.generation.plumbing.context import GenerationRuntime
from apiforge.generation.steps.workflow import GENERATION_QUEUE
from apiforge.generation.stranded import end_unresumable

log = logging.getLogger(__name__)


def recover_workflows_of(executor_id: str) -> list[str]:
    """Put the dead executor's PENDING workflows back on their queues; their ids."""
    handles = DBOS._recover_pending_workflows([executor_id])
    return [handle.get_workflow_id() for handle in handles]


async def take_over(
    runtime: GenerationRuntime, executor_id: str, live_versions: frozenset[str]
) -> list[str]:
    """Resume the dead executor's generations elsewhere, or end them failed when no live
    process of their application version (``live_versions``) can resume them; the versions of
    its workflows still PENDING afterwards (those left for such a process, or whose failing
    failed)."""
    recovered = await asyncio.to_thread(recover_workflows_of, executor_id)
    if recovered:
        log.warning("took over %d workflow(s) of executor %s", len(recovered), executor_id)
    stranded = await _pending_of(executor_id)
    for workflow_id, version in stranded:
        if version in live_versions:
            log.warning("workflow %s waits for a process of version %s", workflow_id, version)
        else:
            await end_unresumable(runtime, workflow_id, version)
    return [version or "" for _, version in await _pending_of(executor_id)]


async def settle_older_of_own(
    runtime: GenerationRuntime, executor_id: str, version: str, live_versions: frozenset[str]
) -> int:
    """At start: this executor's PENDING workflows of another application version (it was
    restarted in place with a new version, and DBOS's launch recovered only its own version's,
    while its heartbeat keeps anyone from taking it over). A live process of their version
    runs them: they go on the generation queue, which only that version dequeues (resumed by
    this process alone, the one owner of its id, so once). None alive: they end failed."""
    older = [(wid, other) for wid, other in await _pending_of(executor_id) if other != version]
    for workflow_id, other in older:
        if other in live_versions:
            log.warning("workflow %s goes to a process of version %s", workflow_id, other)
            await DBOS.resume_workflow_async(workflow_id, queue_name=GENERATION_QUEUE)
        else:
            await end_unresumable(runtime, workflow_id, other)
    return len(older)


async def _pending_of(executor_id: str) -> list[tuple[str, str | None]]:
    workflows = await DBOS.list_workflows_async(
        executor_id=executor_id, status="PENDING", load_input=False, load_output=False
    )
    return [(workflow.workflow_id, workflow.app_version) for workflow in workflows]
