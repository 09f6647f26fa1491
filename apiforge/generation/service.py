"""Starting, cancelling and recovering generations: what the HTTP, WebSocket and CLI layers call."""

from __future__ import annotations

import logging
from datetime import timedelta

from dbos import DBOS, SetWorkflowID
from sqlalchemy.ext.asyncio import AsyncSession

from apiforge.errors import InputError
from apiforge.generation.copies import fork_version, restore_version
from apiforge.generation.dbos_health import DbosHealth
from apiforge.generation.plumbing.context import GenerationRuntime
from apiforge.generation.quotas import (
    check_can_add_version,
    check_can_generate,
    owner_key,
    project_key,
)
from apiforge.generation.steps.workflow import GENERATION_QUEUE, GenerationWorkflow, workflow_id
from apiforge.generation.stranded import DEAD_LETTERED, RECOVERY_EXHAUSTED
from apiforge.generation.version_run import request_stop
from apiforge.store import repository as repo
from apiforge.store.db import serialize
from apiforge.store.models import ApiVersion, Project
from apiforge.store.status import VersionStatus

log = logging.getLogger(__name__)

# How long a version row may wait for its workflow to start (normally milliseconds: one commit,
# then DBOS's insert) before a start-up sweep of another process may call it interrupted. A crash
# in that gap leaves the version pending until a process starts after the window.
START_WINDOW = timedelta(seconds=60)
INTERRUPTED = "The server stopped while this version was being generated. Send the prompt again."


class GenerationService:
    def __init__(self, runtime: GenerationRuntime, workflow: GenerationWorkflow) -> None:
        self.runtime = runtime
        self.workflow = workflow
        # Asked before a version is committed: a generation cannot start without DBOS.
        self.dbos_health = DbosHealth(runtime.settings.dbos_database_url)

    async def aclose(self) -> None:
        await self.dbos_health.aclose()

    def check_prompt(self, prompt: str) -> str:
        text = prompt.strip()
        if not text:
            raise InputError("The prompt is empty", code="empty_prompt")
        found = _first_control_character(text)
        if found is not None:
            position, code = found
            raise InputError(
                f"The prompt contains a control character (U+{code:04X}) at character "
                f"{position + 1}; only line breaks and tabs are allowed",
                code="control_characters",
            )
        limit = self.runtime.settings.max_prompt_chars
        if len(text) > limit:
            raise InputError(
                f"The prompt is {len(text)} characters; the limit is {limit}",
                code="prompt_too_long",
            )
        return text

    async def create_project(
        self, prompt: str, name: str | None, *, owner_id: str
    ) -> tuple[Project, ApiVersion]:
        text = self.check_prompt(prompt)
        project_name = (name or "").strip() or _name_from_prompt(text)
        settings = self.runtime.settings
        await self.dbos_health.check()
        async with self.runtime.db.transaction() as session:
            await serialize(session, owner_key(owner_id))
            await check_can_generate(session, owner_id=owner_id, settings=settings)
            project = await repo.create_project(session, name=project_name[:200], owner_id=owner_id)
            version = await repo.create_version(session, project=project, prompt=text)
            await repo.add_message(
                session, project_id=project.id, role="user", content=text, version=version
            )
        await self._start(version)
        return project, version

    async def iterate(
        self,
        project_id: str,
        prompt: str,
        origin: str = "prompt",
        base_version_number: int | None = None,
    ) -> ApiVersion:
        text = self.check_prompt(prompt)
        await self.dbos_health.check()
        async with self.runtime.db.transaction() as session:
            project = await repo.get_project(session, project_id)
            # One generation per project and the owner's quotas: read, then written below.
            await serialize(session, owner_key(project.owner_id), project_key(project_id))
            await repo.ensure_idle(session, project_id)
            await self._check_limits(session, project)
            version = await repo.create_version(
                session,
                project=project,
                prompt=text,
                origin=origin,
                base_version_number=base_version_number,
            )
            await repo.add_message(
                session, project_id=project_id, role="user", content=text, version=version
            )
        await self._start(version)
        return version

    async def _check_limits(self, session: AsyncSession, project: Project) -> None:
        settings = self.runtime.settings
        await check_can_generate(session, owner_id=project.owner_id, settings=settings)
        await check_can_add_version(session, project_id=project.id, settings=settings)

    async def _start(self, version: ApiVersion) -> None:
        self.runtime.runs.clear_stop(version.project_id)
        args = (version.project_id, version.version_number)
        with SetWorkflowID(workflow_id(version.id)):
            if self.runtime.settings.role != "api":
                await DBOS.start_workflow_async(self.workflow.run, *args)
                return
            # An API process runs no generation: a worker takes it from the queue (durably:
            # the enqueued workflow is a row in DBOS's system database).
            queue = await DBOS.retrieve_queue_async(GENERATION_QUEUE)
            if queue is None:
                raise RuntimeError(f"the DBOS queue {GENERATION_QUEUE!r} is not registered")
            await queue.enqueue_async(self.workflow.run, *args)

    async def cancel(self, project_id: str) -> bool:
        """Ask the running generation to stop, on whichever process runs it; False when
        nothing is running."""
        return await request_stop(self.runtime.db, self.runtime.runs, project_id)

    async def restore(self, project_id: str, number: int) -> ApiVersion:
        return await restore_version(self.runtime, project_id, number)

    async def fork(self, project_id: str, number: int) -> tuple[Project, ApiVersion]:
        return await fork_version(self.runtime, project_id, number)

    async def fail_interrupted(self) -> int:
        """Mark versions whose workflow will not resume as failed; never leave them running.

        A version row is committed before its workflow starts (the workflow reads the row), so
        on a shared database another process may be between the two while this one starts: a
        pending version younger than :data:`START_WINDOW` with no workflow yet is left alone.
        On SQLite the data dir's claim means no other server adds versions, and this sweep runs
        before this one serves: a version without a workflow there was left by a crash."""
        async with self.runtime.db.read() as session:
            active = await repo.all_active_versions(session)
        failed = 0
        for version in active:
            status = await DBOS.get_workflow_status_async(workflow_id(version.id))
            if status is not None and status.status in ("PENDING", "ENQUEUED"):
                continue
            if status is None and self._may_be_starting(version):
                log.info("version %s has no workflow yet; another process may start it", version.id)
                continue
            exhausted = status is not None and status.status == DEAD_LETTERED
            await self._mark_failed(version, RECOVERY_EXHAUSTED if exhausted else INTERRUPTED)
            failed += 1
        return failed

    def _may_be_starting(self, version: ApiVersion) -> bool:
        if not self.runtime.db.shared or version.status != VersionStatus.PENDING:
            return False
        return repo.now() - version.created_at < START_WINDOW

    async def _mark_failed(self, version: ApiVersion, message: str) -> None:
        emitter = self.runtime.emitter(version.project_id, version.version_number)
        await self.runtime.run_of(emitter).fail("interrupted", message)


# Line feed, tab and carriage return are how text is typed; other C0/C1 controls and DEL are
# not, and a NUL in particular breaks files, logs and the model's input.
_ALLOWED_CONTROLS = frozenset("\n\t\r")


def _first_control_character(text: str) -> tuple[int, int] | None:
    """Where the first disallowed control character is, and its code point; or None."""
    for position, char in enumerate(text):
        code = ord(char)
        if (code < 0x20 or 0x7F <= code <= 0x9F) and char not in _ALLOWED_CONTROLS:
            return position, code
    return None


def _name_from_prompt(prompt: str) -> str:
    words = prompt.split()
    name = " ".join(words[:8])
    return name + ("…" if len(words) > 8 else "")
