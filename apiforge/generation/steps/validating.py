"""The validation step: run the version's files through the validator, streaming each stage."""

from __future__ import annotations

from apiforge.events.types import (
    MessageChunk,
    StepProgress,
    ValidationComplete,
    ValidationProgress,
    ValidationStart,
)
from apiforge.generation.plumbing.context import GenerationRuntime
from apiforge.generation.plumbing.files import files_after
from apiforge.generation.steps import resume
from apiforge.generation.steps.outcomes import ValidationOutcome, VersionOutcome
from apiforge.generation.version_run import VALIDATING_PROGRESS, VersionRun
from apiforge.sandbox.base import StageResult
from apiforge.sandbox.report import STAGES, problem_list, summary_line, validation_ok


async def run_validation(
    runtime: GenerationRuntime,
    run: VersionRun,
    outcome: VersionOutcome,
    round_number: int = 0,
) -> VersionOutcome:
    """Validate the version's current files; ``round_number`` > 0 after a fix round.

    The outcome gets the validation (with the problems a fix round sends the model) and the
    one-line summary as a note, which is also streamed to the chat.
    """
    await _files_written(run, outcome, round_number)
    if runtime.validator.name == "none":
        return outcome
    await run.start_validating()
    emitter, ids = run.emitter, run.emitter.ids
    await emitter.emit(ValidationStart(**ids))
    stages = await _run_stages(runtime, run, outcome)
    ok = validation_ok(stages)
    await emitter.emit(
        ValidationComplete(**ids, ok=ok, stages=[stage.as_dict() for stage in stages])
    )
    await run.close_step("validating", "Validation passed" if ok else "Validation failed")
    summary = summary_line(stages)
    await emitter.emit(MessageChunk(**ids, text=f"\n\n{summary}"))
    validation = ValidationOutcome(
        stages=tuple(stages),
        ok=ok,
        problems=tuple(problem_list(stages)),
        failing_tests=failing_tests(stages),
        openapi=next((stage.openapi for stage in stages if stage.openapi), None),
    )
    return outcome.validated(validation, summary)


async def _files_written(run: VersionRun, outcome: VersionOutcome, round_number: int) -> None:
    """Ends the generating step, or, when a restart re-runs this step, says it is resumed."""
    emitter = run.emitter
    message = f"Fix of round {round_number} written" if round_number else "Files written"
    if await resume.files_written_before(
        emitter.log, emitter.project_id, emitter.version_number, message
    ):
        await emitter.emit(
            StepProgress(
                **emitter.ids,
                step="validating",
                message=resume.VALIDATING_AGAIN,
                progress=VALIDATING_PROGRESS,
                resumed=True,
            )
        )
        return
    started = outcome.round_started if outcome.round_started is not None else outcome.started
    await run.close_step("generating", message, since=started)


async def _run_stages(
    runtime: GenerationRuntime, run: VersionRun, outcome: VersionOutcome
) -> list[StageResult]:
    files = await files_after(runtime, run.project_id, run.version_number, outcome.changes)
    reported = 0

    async def on_stage(stage: StageResult) -> None:
        nonlocal reported
        reported += 1
        await run.emitter.emit(
            ValidationProgress(
                **run.emitter.ids,
                stage=stage.stage,
                ok=stage.ok,
                detail=stage.detail,
                duration_ms=stage.duration_ms,
                progress=stage_progress(stage.stage, reported),
            )
        )

    return await runtime.validator.validate(run.project_id, files, on_stage)


def stage_progress(stage: str, reported: int) -> int:
    """The bar after ``stage``: the validating span (from VALIDATING_PROGRESS up to just below
    100, which only a complete version reaches) split evenly over the sandbox's stages, in the
    order it reports them. A stage it does not know counts by how many were reported."""
    position = STAGES.index(stage) + 1 if stage in STAGES else min(reported, len(STAGES))
    span = 100 - VALIDATING_PROGRESS - 1
    return VALIDATING_PROGRESS + round(span * position / len(STAGES))


def failing_tests(stages: list[StageResult]) -> int:
    """How many of the project's own tests failed (0 when the tests stage passed or is absent)."""
    for stage in stages:
        if stage.stage == "tests" and not stage.ok:
            total, passed = stage.metric("total"), stage.metric("passed")
            if total is not None and passed is not None:
                return int(total - passed)
    return 0
