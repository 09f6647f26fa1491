"""The validation step: run the version's files through the validator, streaming each stage."""

from __future__ import annotations

import time
from typing import Any

from apiforge.events.types import (
    StepComplete,
    StepStart,
    ValidationComplete,
    ValidationProgress,
    ValidationStart,
)
from apiforge.generation.assembler import VALIDATING_PROGRESS
from apiforge.generation.emitter import VersionEmitter
from apiforge.generation.files import files_after
from apiforge.generation.runtime import GenerationRuntime
from apiforge.sandbox.base import StageResult
from apiforge.store import repository as repo


async def _set_status(runtime: GenerationRuntime, emitter: VersionEmitter, status: str) -> None:
    async with runtime.db.transaction() as session:
        version = await repo.get_version(session, emitter.project_id, emitter.version_number)
        version.status = status


async def run_validation(
    runtime: GenerationRuntime, emitter: VersionEmitter, outcome: dict[str, Any]
) -> dict[str, Any]:
    await emitter.emit(
        StepComplete,
        step="generating",
        message="Files written",
        duration_ms=int((time.time() - outcome["started"]) * 1000),
    )
    if runtime.validator.name == "none":
        return outcome
    started = time.monotonic()
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

    async def on_stage(stage: StageResult) -> None:
        await emitter.emit(
            ValidationProgress,
            stage=stage.stage,
            ok=stage.ok,
            detail=stage.detail,
            duration_ms=stage.duration_ms,
        )

    stages = await runtime.validator.validate(emitter.project_id, files, on_stage)
    ok = all(stage.ok for stage in stages)
    results = [stage.as_dict() for stage in stages]
    await emitter.emit(ValidationComplete, ok=ok, stages=results)
    await emitter.emit(
        StepComplete,
        step="validating",
        message="Validation passed" if ok else "Validation failed",
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    return {**outcome, "validation": results, "validation_ok": ok}
