"""The validation step: run the version's files through the validator, streaming each stage."""

from __future__ import annotations

import time
from typing import Any

from apiforge.events.types import (
    MessageChunk,
    StepComplete,
    StepProgress,
    StepStart,
    ValidationComplete,
    ValidationProgress,
    ValidationStart,
)
from apiforge.generation.plumbing.assembler import VALIDATING_PROGRESS
from apiforge.generation.plumbing.context import GenerationRuntime
from apiforge.generation.plumbing.emitter import VersionEmitter
from apiforge.generation.plumbing.files import files_after
from apiforge.generation.steps import resume
from apiforge.sandbox.base import StageResult
from apiforge.sandbox.report import STAGES, problem_list, summary_line, validation_ok
from apiforge.store import repository as repo


async def _set_status(runtime: GenerationRuntime, emitter: VersionEmitter, status: str) -> None:
    async with runtime.db.transaction() as session:
        version = await repo.get_version(session, emitter.project_id, emitter.version_number)
        version.status = status


async def run_validation(
    runtime: GenerationRuntime,
    emitter: VersionEmitter,
    outcome: dict[str, Any],
    round_number: int = 0,
) -> dict[str, Any]:
    """Validate the version's current files; ``round_number`` > 0 after a fix round.

    Adds ``validation``, ``validation_ok``, ``validation_problems`` (what a fix round sends the
    model) and the one-line summary, which is also streamed to the chat.
    """
    await _files_written(emitter, outcome, round_number)
    if runtime.validator.name == "none":
        return outcome
    started = time.monotonic()
    stages = await _run_stages(runtime, emitter, outcome)
    ok = validation_ok(stages)
    results = [stage.as_dict() for stage in stages]
    await emitter.emit(ValidationComplete, ok=ok, stages=results)
    await emitter.emit(
        StepComplete,
        step="validating",
        message="Validation passed" if ok else "Validation failed",
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    summary = summary_line(stages)
    await emitter.emit(MessageChunk, text=f"\n\n{summary}")
    return {
        **outcome,
        "validation": results,
        "validation_ok": ok,
        "validation_problems": problem_list(stages),
        "failing_tests": failing_tests(stages),
        "notes": [*outcome.get("notes", []), summary],
        "openapi": next((d for s in stages if (d := getattr(s, "openapi", None))), None),
    }


async def _files_written(
    emitter: VersionEmitter, outcome: dict[str, Any], round_number: int
) -> None:
    """Ends the generating step, or, when a restart re-runs this step, says it is resumed."""
    message = f"Fix of round {round_number} written" if round_number else "Files written"
    if await resume.files_written_before(
        emitter.log, emitter.project_id, emitter.version_number, message
    ):
        await emitter.emit(
            StepProgress,
            step="validating",
            message=resume.VALIDATING_AGAIN,
            progress=VALIDATING_PROGRESS,
            resumed=True,
        )
        return
    started = outcome.get("round_started", outcome["started"])
    duration_ms = int((time.time() - started) * 1000)
    await emitter.emit(StepComplete, step="generating", message=message, duration_ms=duration_ms)


async def _run_stages(
    runtime: GenerationRuntime, emitter: VersionEmitter, outcome: dict[str, Any]
) -> list[StageResult]:
    await _set_status(runtime, emitter, "validating")
    live = runtime.live.get(emitter.project_id)
    if live is not None:
        live.step = "validating"
    await emitter.emit(
        StepStart, step="validating", message="Running the API", progress=VALIDATING_PROGRESS
    )
    await emitter.emit(ValidationStart)
    files = await files_after(
        runtime, emitter.project_id, emitter.version_number, outcome["changes"]
    )

    reported = 0

    async def on_stage(stage: StageResult) -> None:
        nonlocal reported
        reported += 1
        await emitter.emit(
            ValidationProgress,
            stage=stage.stage,
            ok=stage.ok,
            detail=stage.detail,
            duration_ms=stage.duration_ms,
            progress=stage_progress(stage.stage, reported),
        )

    return await runtime.validator.validate(emitter.project_id, files, on_stage)


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
            metric = getattr(stage, "metric", None)
            total = metric("total") if metric else None
            passed = metric("passed") if metric else None
            if total is not None and passed is not None:
                return int(total - passed)
    return 0
