"""The last step: store the version's files and status, tell the chat, send the terminal event."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from apiforge.errors import ApiforgeError
from apiforge.events.types import (
    Cancelled,
    ErrorEvent,
    MessageChunk,
    PreviewReady,
    StepComplete,
    StepStart,
    Usage,
    VersionComplete,
)
from apiforge.generation import no_files
from apiforge.generation.emitter import VersionEmitter
from apiforge.generation.files import files_after
from apiforge.generation.runtime import GenerationRuntime
from apiforge.store import repository as repo
from apiforge.versions import store_version_files

log = logging.getLogger(__name__)


@dataclass
class Verdict:
    status: str  # complete | failed | cancelled
    error: dict[str, Any] | None
    store_files: bool


def judge(outcome: dict[str, Any]) -> Verdict:
    if outcome["status"] == "failed":
        return Verdict("failed", outcome["error"], store_files=False)
    if outcome["status"] == "cancelled":
        return Verdict("cancelled", None, store_files=True)
    if no_files.gave_up(outcome):
        return Verdict("failed", no_files.error(outcome), store_files=False)
    if not outcome["changes"]:
        problems = "; ".join(outcome["problems"]) or "the reply contained no file blocks"
        message = f"No files were produced: {problems}"
        return Verdict("failed", {"code": "no_files", "message": message, "retryable": True}, False)
    if outcome.get("validation_ok") is False:
        failed = [s for s in outcome["validation"] if not s["ok"]]
        detail = "; ".join(f"{s['stage']}: {s['detail']}" for s in failed)
        rounds = int(outcome.get("fix_round", 0))
        after = f" (after {rounds} fix round{'s' if rounds != 1 else ''})" if rounds else ""
        error = {"code": "validation_failed", "message": f"Validation failed{after} — {detail}"}
        return Verdict("failed", {**error, "retryable": True}, store_files=True)
    return Verdict("complete", None, store_files=True)


def assistant_text(outcome: dict[str, Any], verdict: Verdict, files_changed: int) -> str:
    """The chat message of the version: what the model said, each validation and fix round,
    then how it ended and what could not be used."""
    # The reply that held no files already streamed to the chat; it is on the error event.
    if verdict.error is not None and verdict.error["code"] in ("prompt_not_understood", "no_files"):
        return str(verdict.error["message"])
    parts = [outcome["prose"].strip(), *outcome.get("notes", [])]
    if verdict.status == "cancelled":
        parts.append(f"Stopped at your request. Kept {files_changed} completed file(s).")
    elif verdict.error is not None and verdict.error["code"] != "validation_failed":
        # A failed validation already ends the notes with its summary line ("Validation failed
        # at tests: …"): saying it again would repeat the error in the same message.
        parts.append(verdict.error["message"])
    if outcome["summary"] and verdict.status != "failed":
        parts.append(outcome["summary"])
    problems = [*outcome["problems"], *outcome.get("edit_failures", {}).values()]
    if problems:
        parts.append("Problems: " + "; ".join(problems))
    return "\n\n".join(p for p in parts if p)


async def _store(
    runtime: GenerationRuntime, emitter: VersionEmitter, outcome: dict[str, Any], verdict: Verdict
) -> tuple[int, dict[str, str]]:
    files: dict[str, str] = {}
    if verdict.store_files:
        files = await files_after(
            runtime, emitter.project_id, emitter.version_number, outcome["changes"]
        )
    usage = Usage.model_validate(outcome["usage"])
    async with runtime.db.transaction() as session:
        version = await repo.get_version(session, emitter.project_id, emitter.version_number)
        if version.status in ("complete", "failed", "cancelled"):
            # A re-run of this step after a crash: the first run already committed.
            return version.files_changed, files
        changed = 0
        if verdict.store_files:
            changed = await store_version_files(
                session,
                version_id=version.id,
                project_id=version.project_id,
                version_number=version.version_number,
                files=files,
                cache=runtime.cache,
            )
        version.status = verdict.status
        version.summary = outcome["summary"]
        version.error = verdict.error["message"] if verdict.error else None
        version.completed_at = repo.now()
        version.files_changed = changed
        version.prompt_tokens = usage.prompt_tokens
        version.completion_tokens = usage.completion_tokens
        if outcome.get("validation") is not None:
            version.validation = json.dumps(outcome["validation"])
        version.openapi = outcome.get("openapi")
        text = assistant_text(outcome, verdict, changed)
        await repo.add_message(
            session, project_id=version.project_id, role="assistant", content=text, version=version
        )
    return changed, files


async def finish_version(
    runtime: GenerationRuntime, emitter: VersionEmitter, outcome: dict[str, Any]
) -> None:
    flag = runtime.cancel_requested.get(emitter.project_id)
    if flag is not None and flag.is_set() and outcome["status"] == "generated":
        # Stop was pressed while validating: the version ends cancelled, files kept.
        outcome = {**outcome, "status": "cancelled"}
    verdict = judge(outcome)
    changed, files = await _store(runtime, emitter, outcome, verdict)
    runtime.live.pop(emitter.project_id, None)
    runtime.cancel_requested.pop(emitter.project_id, None)
    duration_ms = int((time.time() - outcome["started"]) * 1000)
    if verdict.status == "cancelled":
        await emitter.emit(Cancelled, reason="Stopped at your request")
        return
    if verdict.error is not None and not verdict.store_files:
        await emitter.emit(ErrorEvent, **verdict.error)
        return
    if verdict.status == "complete":
        # A version that failed validation is stored too, but the "complete" step is for
        # versions that are complete: clients show the step that failed, not this one done.
        await emitter.emit(StepStart, step="complete", message="Saving the version", progress=100)
        await emitter.emit(StepComplete, step="complete", message="Version saved", duration_ms=0)
    await emitter.emit(
        VersionComplete,
        summary=outcome["summary"],
        files_changed=changed,
        duration_ms=duration_ms,
        usage=Usage.model_validate(outcome["usage"]),
        status=verdict.status,
    )
    if verdict.status == "complete" and runtime.previews is not None:
        await _start_preview(runtime, emitter, files)


async def _start_preview(
    runtime: GenerationRuntime, emitter: VersionEmitter, files: dict[str, str]
) -> None:
    assert runtime.previews is not None
    try:
        url = await runtime.previews.start(emitter.project_id, emitter.version_number, files)
    except ApiforgeError as exc:
        # The version is stored and validated; only the live preview is missing.
        log.warning("preview of %s v%d failed: %s", emitter.project_id, emitter.version_number, exc)
        await emitter.emit(MessageChunk, text=f"\n\nThe live preview could not start: {exc}")
        return
    await emitter.emit(PreviewReady, url=url)


async def fail_version(
    runtime: GenerationRuntime, project_id: str, version_number: int, code: str, message: str
) -> None:
    """End a version that cannot go on as failed, with a system chat message and an error."""
    async with runtime.db.transaction() as session:
        row = await repo.get_version(session, project_id, version_number)
        if row.status not in repo.ACTIVE_STATUSES:
            return
        row.status, row.error, row.completed_at = "failed", message, repo.now()
        await repo.add_message(
            session, project_id=project_id, role="system", content=message, version=row
        )
    runtime.live.pop(project_id, None)
    runtime.cancel_requested.pop(project_id, None)
    emitter = VersionEmitter(
        runtime.log, project_id=project_id, version_number=version_number, coalesce_s=0
    )
    await emitter.emit(ErrorEvent, code=code, message=message, retryable=True)
