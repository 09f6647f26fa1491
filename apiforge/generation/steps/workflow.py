"""The durable generation workflow: begin → stream files → validate → [fix → validate]… → finish.

Each step is checkpointed by DBOS. If the process dies mid-stream, recovery re-runs the
streaming step from its start; ``resume.py`` says "Resumed after a restart" and sends only what
clients do not have yet. The streaming step is preemptible so a DBOS-level cancel stops it too.

Fix rounds are steps too, each with its round number, so recovery replays the rounds that
already ran from their checkpoints and resumes at the one that was interrupted.
"""

from __future__ import annotations

import logging

from dbos import DBOS, DBOSConfiguredInstance

from apiforge.generation.plumbing.context import GenerationRuntime
from apiforge.generation.plumbing.preview_handback import hand_back_preview
from apiforge.generation.steps import finishing, fixing, no_files, streaming, validating
from apiforge.generation.steps.outcomes import VersionOutcome
from apiforge.generation.version_run import VersionRun
from apiforge.logs import generation_context

log = logging.getLogger(__name__)


# The DBOS queue `serve --role api` puts generations on and `apiforge worker` takes them from.
GENERATION_QUEUE = "generations"


# A generation's workflow id is this and its version's id (a take-over reads the version back).
GENERATION_PREFIX = "generation-"


def workflow_id(version_id: str) -> str:
    return f"{GENERATION_PREFIX}{version_id}"


@DBOS.dbos_class()
class GenerationWorkflow(DBOSConfiguredInstance):
    def __init__(self, runtime: GenerationRuntime) -> None:
        self.runtime = runtime
        super().__init__("generation")

    def version_run(self, project_id: str, version_number: int) -> VersionRun:
        return self.runtime.run_of(self.runtime.emitter(project_id, version_number))

    @DBOS.workflow()
    async def run(self, project_id: str, version_number: int) -> str:
        with (
            generation_context(project_id, version_number, DBOS.workflow_id),
            self.runtime.workflow_tasks.running(),
        ):
            # Its end is logged where the final status is set (VersionRun).
            log.info("generation of v%d started", version_number)
            try:
                return await self._run(project_id, version_number)
            except Exception as exc:
                # A bug or a broken dependency must not leave the version "generating" forever.
                log.exception("generation of %s v%d failed", project_id, version_number)
                message = f"Generation failed unexpectedly: {exc}. Send the prompt again."
                await self.fail(project_id, version_number, message)
                return "failed"

    @DBOS.step()
    async def fail(self, project_id: str, version_number: int, message: str) -> None:
        # The preview is handed back before the terminal event (clients reading up to it see
        # it), and can never keep the version from ending: this is the last resort.
        try:
            await hand_back_preview(self.runtime, project_id, version_number)
        except Exception:
            log.exception("preview of %s v%d not handed back", project_id, version_number)
        run = self.version_run(project_id, version_number)
        await run.fail("internal_error", message)

    async def _run(self, project_id: str, version_number: int) -> str:
        await self.begin(project_id, version_number)
        outcome = await self.stream(project_id, version_number)
        if no_files.validatable(outcome):
            outcome = await self.validate(project_id, version_number, outcome, 0)
        rounds = fixing.fix_rounds(self.runtime)
        round_number = 0
        while round_number < rounds and fixing.needs_fix(outcome):
            round_number += 1
            outcome = await self.fix(project_id, version_number, outcome, round_number)
            if no_files.validatable(outcome) and not outcome.fix_failed:
                outcome = await self.validate(project_id, version_number, outcome, round_number)
        await self.finish(project_id, version_number, outcome)
        return outcome.status

    @DBOS.step()
    async def begin(self, project_id: str, version_number: int) -> None:
        run = self.version_run(project_id, version_number)
        await run.begin(self.runtime.provider.label)

    @DBOS.step(preemptible=True)
    async def stream(self, project_id: str, version_number: int) -> VersionOutcome:
        run = await streaming.open_stream(self.runtime, project_id, version_number)
        return await streaming.run_stream(self.runtime, run)

    @DBOS.step()
    async def validate(
        self, project_id: str, version_number: int, outcome: VersionOutcome, round_number: int
    ) -> VersionOutcome:
        run = self.version_run(project_id, version_number)
        return await validating.run_validation(self.runtime, run, outcome, round_number)

    @DBOS.step(preemptible=True)
    async def fix(
        self, project_id: str, version_number: int, outcome: VersionOutcome, round_number: int
    ) -> VersionOutcome:
        run = self.version_run(project_id, version_number)
        return await fixing.run_fix(self.runtime, run, outcome, round_number)

    @DBOS.step()
    async def finish(self, project_id: str, version_number: int, outcome: VersionOutcome) -> None:
        self.runtime.workflow_tasks.finishing()
        run = self.version_run(project_id, version_number)
        await finishing.finish_version(self.runtime, run, outcome)
