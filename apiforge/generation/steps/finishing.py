"""The last step: store the version's files and status, tell the chat, send the terminal event."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from apiforge.errors import ApiforgeError
from apiforge.events.types import (
    Cancelled,
    ErrorEvent,
    MessageChunk,
    PreviewReady,
    VersionComplete,
)
from apiforge.generation.plumbing.context import GenerationRuntime
from apiforge.generation.plumbing.emitter import VersionIds
from apiforge.generation.plumbing.files import files_after
from apiforge.generation.plumbing.preview_handback import hand_back_preview
from apiforge.generation.steps import fix_focus, no_files
from apiforge.generation.steps.outcomes import StreamError, VersionOutcome
from apiforge.generation.version_run import VersionRun
from apiforge.pricing import version_cost
from apiforge.sandbox.preview import PreviewsClosed
from apiforge.store import repository as repo
from apiforge.store.models import ApiVersion
from apiforge.store.status import VersionStatus
from apiforge.versions import store_version_files

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    status: VersionStatus  # complete | failed | cancelled
    error: StreamError | None
    store_files: bool


def judge(outcome: VersionOutcome) -> Verdict:
    if outcome.status == "failed":
        return Verdict(VersionStatus.FAILED, outcome.error, store_files=False)
    if outcome.status == "cancelled":
        return Verdict(VersionStatus.CANCELLED, None, store_files=True)
    if no_files.gave_up(outcome):
        return Verdict(VersionStatus.FAILED, no_files.error(outcome), store_files=False)
    if not outcome.changes:
        problems = "; ".join(outcome.problems) or "the reply contained no file blocks"
        error = StreamError(code="no_files", message=f"No files were produced: {problems}")
        return Verdict(VersionStatus.FAILED, error, store_files=False)
    if outcome.validation is not None and not outcome.validation.ok:
        failed = outcome.validation.failed_stages()
        detail = "; ".join(f"{s.stage}: {s.detail}" for s in failed)
        rounds = outcome.fix_round
        after = f" (after {rounds} fix round{'s' if rounds != 1 else ''})" if rounds else ""
        message = f"Validation failed{after} — {detail}"
        if outcome.stop_reason:
            message = f"{message}. {outcome.stop_reason}"
        error = StreamError(code="validation_failed", message=message)
        return Verdict(VersionStatus.FAILED, error, store_files=True)
    return Verdict(VersionStatus.COMPLETE, None, store_files=True)


def assistant_text(
    outcome: VersionOutcome,
    verdict: Verdict,
    files_changed: int,
    files: Mapping[str, str] | None = None,
) -> str:
    """The chat message of the version: what the model said, each validation and fix round,
    then how it ended, what could not be used and what the model did not write."""
    # The reply that held no files already streamed to the chat; it is on the error event.
    if verdict.error is not None and verdict.error.code in ("prompt_not_understood", "no_files"):
        return verdict.error.message
    parts = [outcome.prose.strip(), *outcome.notes]
    if verdict.status == VersionStatus.CANCELLED:
        parts.append(f"Stopped at your request. Kept {files_changed} completed file(s).")
    elif verdict.error is not None and verdict.error.code != "validation_failed":
        # A failed validation already ends the notes with its summary line ("Validation failed
        # at tests: …"): saying it again would repeat the error in the same message.
        parts.append(verdict.error.message)
    if outcome.summary and verdict.status != VersionStatus.FAILED:
        parts.append(outcome.summary)
    problems = [*outcome.problems, *outcome.edit_failures.values()]
    if problems:
        parts.append("Problems: " + "; ".join(problems))
    if verdict.status == VersionStatus.FAILED and files:
        parts.append(fix_focus.missing_entry_note(files) or "")
    return "\n\n".join(p for p in parts if p)


async def _store(
    runtime: GenerationRuntime, run: VersionRun, outcome: VersionOutcome, verdict: Verdict
) -> tuple[int, dict[str, str]]:
    files: dict[str, str] = {}
    if verdict.store_files:
        files = await files_after(runtime, run.project_id, run.version_number, outcome.changes)
    changed = 0

    async def record(session: AsyncSession, version: ApiVersion) -> None:
        nonlocal changed
        if verdict.store_files:
            changed = await store_version_files(
                session,
                version_id=version.id,
                project_id=version.project_id,
                version_number=version.version_number,
                files=files,
                cache=runtime.cache,
            )
        _record_outcome(version, outcome, verdict, changed)
        version.cost_usd = cost_of(runtime, outcome)
        text = assistant_text(outcome, verdict, changed, files)
        await repo.add_message(
            session, project_id=version.project_id, role="assistant", content=text, version=version
        )

    if not await run.settle(verdict.status, record, outcome.usage):
        # A re-run of this step after a crash: the first run already committed.
        async with runtime.db.read() as session:
            version = await repo.get_version(session, run.project_id, run.version_number)
            return version.files_changed, files
    return changed, files


def cost_of(runtime: GenerationRuntime, outcome: VersionOutcome) -> float | None:
    return version_cost(runtime.settings.prices, runtime.provider.model, outcome.usage)


def _record_outcome(
    version: ApiVersion, outcome: VersionOutcome, verdict: Verdict, changed: int
) -> None:
    version.summary = outcome.summary
    version.error = verdict.error.message if verdict.error else None
    version.files_changed = changed
    version.prompt_tokens = outcome.usage.prompt_tokens
    version.completion_tokens = outcome.usage.completion_tokens
    validation = outcome.validation
    if validation is not None:
        version.validation = json.dumps([stage.as_dict() for stage in validation.stages])
    version.openapi = validation.openapi if validation is not None else None


async def finish_version(
    runtime: GenerationRuntime, run: VersionRun, outcome: VersionOutcome
) -> None:
    if outcome.status == "generated" and await run.stop_recorded():
        # Stop was pressed while validating: the version ends cancelled, files kept.
        outcome = replace(outcome, status="cancelled")
    verdict = judge(outcome)
    changed, files = await _store(runtime, run, outcome, verdict)
    if verdict.status != VersionStatus.COMPLETE:
        await hand_back_preview(runtime, run.project_id, run.version_number)
    duration_ms = int((time.time() - outcome.started) * 1000)
    emitter, ids = run.emitter, run.emitter.ids
    if verdict.status == VersionStatus.CANCELLED:
        await emitter.emit(Cancelled(**ids, reason="Stopped at your request"))
        return
    if verdict.error is not None and not verdict.store_files:
        await emitter.emit(error_event(ids, verdict.error))
        return
    if verdict.status == VersionStatus.COMPLETE:
        # A version that failed validation is stored too, but the "complete" step is for
        # versions that are complete: clients show the step that failed, not this one done.
        await run.open_step("complete", "Saving the version", 100)
        await run.close_step("complete", "Version saved", timed=False)
    await emitter.emit(
        VersionComplete(
            **ids,
            summary=outcome.summary,
            files_changed=changed,
            duration_ms=duration_ms,
            usage=outcome.usage,
            status=verdict.status,
            cost_usd=cost_of(runtime, outcome),
        )
    )
    if verdict.status == VersionStatus.COMPLETE and runtime.previews is not None:
        await _start_preview(runtime, run, files)


def error_event(ids: VersionIds, error: StreamError) -> ErrorEvent:
    return ErrorEvent(
        **ids,
        code=error.code,
        message=error.message,
        retryable=error.retryable,
        raw_reply=error.raw_reply,
    )


async def _start_preview(
    runtime: GenerationRuntime, run: VersionRun, files: dict[str, str]
) -> None:
    assert runtime.previews is not None
    try:
        url = await runtime.previews.start(run.project_id, run.version_number, files)
    except PreviewsClosed:
        # The server is stopping, and would stop this preview with the others: nothing failed
        # (the version can be previewed on request after the restart).
        log.info("preview of %s v%d not started: stopping", run.project_id, run.version_number)
        return
    except ApiforgeError as exc:
        # The version is stored and validated; only the live preview is missing.
        log.warning("preview of %s v%d failed: %s", run.project_id, run.version_number, exc)
        text = f"\n\nThe live preview could not start: {exc}"
        await run.emitter.emit(MessageChunk(**run.emitter.ids, text=text))
        return
    await run.emitter.emit(PreviewReady(**run.emitter.ids, url=url, partial=False))
