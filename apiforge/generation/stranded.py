"""Generations whose workflow no process will run, found while processes live: ended ``failed``.

The take-over of a dead executor (``takeover.py``) sees the PENDING workflows a dead process
held. Two other ways leave a running version waiting for nothing, with no dead executor holding
it, so every process that runs generations looks for them, once per failover time (a loop of
its own in ``failover.py``):

- **ENQUEUED for an application version no live process runs.** DBOS dequeues a workflow only
  in a process of the version that recorded it. An old-version worker that recovered a dead
  executor's workflows (or was handed them by a process restarted with a new version) and died
  before dequeuing them, or an api process of a version no worker runs, leaves it on the queue
  for good. Once it has waited longer than the failover time with no live worker (or ``serve``)
  of its version, it is cancelled and its version ends ``failed`` with ``CANNOT_RESUME``; while
  such a process lives, it is left to it (a busy worker dequeues it later).
- **MAX_RECOVERY_ATTEMPTS_EXCEEDED.** DBOS counts each dispatch of a workflow and, past its
  ``max_recovery_attempts`` (100) plus one, moves it off the queue with that status and never
  runs it again (its "dead-letter queue"): a generation that kills its process every time.
  Its version ends ``failed`` with ``RECOVERY_EXHAUSTED``.

Several processes look at once: the version's end is one transaction on the locked row
(``VersionRun.fail``), so it ends once, with one message and one ``error`` event.
"""

from __future__ import annotations

import logging
from datetime import datetime

from dbos import DBOS, WorkflowStatus

from apiforge.generation.plumbing.context import GenerationRuntime
from apiforge.generation.steps.workflow import GENERATION_PREFIX, workflow_id
from apiforge.store import repository as repo
from apiforge.store.models import ApiVersion

log = logging.getLogger(__name__)

CANNOT_RESUME = (
    "The process generating this version stopped, and no running process can resume it "
    "(it was started by application version {version}). Send the prompt again."
)
ENQUEUED, DEAD_LETTERED = "ENQUEUED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"
# dbos.DEFAULT_MAX_RECOVERY_ATTEMPTS, which the generation workflow keeps.
MAX_RECOVERY_ATTEMPTS = 100
RECOVERY_EXHAUSTED = (
    "The process generating this version stopped every time it was resumed, so it was given "
    f"up after {MAX_RECOVERY_ATTEMPTS} attempts. Send the prompt again."
)


async def end_stranded_generations(
    runtime: GenerationRuntime, live_versions: frozenset[str], queued_before: datetime
) -> int:
    """End the running versions whose workflow waits on a queue no live process of its
    version (``live_versions``) dequeues since before ``queued_before``, or was dead-lettered
    by DBOS; how many were ended."""
    async with runtime.db.read() as session:
        active = await repo.all_active_versions(session)
    if not active:
        return 0
    workflows = await DBOS.list_workflows_async(
        workflow_ids=[workflow_id(version.id) for version in active],
        status=[ENQUEUED, DEAD_LETTERED],
        load_input=False,
        load_output=False,
    )
    ended = 0
    for workflow in workflows:
        if workflow.status == DEAD_LETTERED:
            log.warning("workflow %s exhausted its recovery attempts", workflow.workflow_id)
            ended += await fail_version_of(runtime, workflow.workflow_id, RECOVERY_EXHAUSTED)
        elif _waits_for_nobody(workflow, live_versions, queued_before):
            ended += await end_unresumable(runtime, workflow.workflow_id, workflow.app_version)
    return ended


def _waits_for_nobody(
    workflow: WorkflowStatus, live_versions: frozenset[str], queued_before: datetime
) -> bool:
    queued_ms = workflow.updated_at or workflow.created_at
    if queued_ms is None or queued_ms >= queued_before.timestamp() * 1000:
        return False  # Queued within the failover time: a process of its version may start.
    return workflow.app_version not in live_versions


async def end_unresumable(runtime: GenerationRuntime, workflow_id: str, version: str | None) -> int:
    """Cancel a workflow no live process of its application version can run, and end its
    version failed saying so; 1 if this call ended it, else 0."""
    log.warning("workflow %s of application version %s cannot be resumed", workflow_id, version)
    # Cancelled first: a process of that version starting later must not run it as well.
    await DBOS.cancel_workflow_async(workflow_id)
    message = CANNOT_RESUME.format(version=version or "unknown")
    return await fail_version_of(runtime, workflow_id, message)


async def fail_version_of(runtime: GenerationRuntime, workflow_id: str, message: str) -> int:
    """End the version a generation workflow makes failed; 1 if this call ended it."""
    if not workflow_id.startswith(GENERATION_PREFIX):
        return 0
    async with runtime.db.read() as session:
        row = await session.get(ApiVersion, workflow_id.removeprefix(GENERATION_PREFIX))
    if row is None:
        return 0
    emitter = runtime.emitter(row.project_id, row.version_number)
    return int(await runtime.run_of(emitter).fail("interrupted", message))
