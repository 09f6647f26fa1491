"""The streaming step: provider text → parser → events, until done, failed or cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine
from functools import partial
from typing import Any, TypeVar

from apiforge.errors import ApiforgeError, GenerationCancelled
from apiforge.events.types import Usage
from apiforge.generation.plumbing.assembler import Assembler, StagedChanges
from apiforge.generation.plumbing.attempt import stream_attempt
from apiforge.generation.plumbing.context import GenerationRuntime
from apiforge.generation.plumbing.emitter import VersionEmitter
from apiforge.generation.plumbing.files import load_base_files
from apiforge.generation.plumbing.partial_preview import PartialPreview, partial_preview
from apiforge.generation.plumbing.provider_calls import CallLog, send_calls
from apiforge.generation.reply_format.parse_events import ParseEvent
from apiforge.generation.steps import no_files, resume
from apiforge.generation.steps.outcomes import (
    AttemptOutcome,
    StreamError,
    StreamStatus,
    VersionOutcome,
)
from apiforge.generation.version_run import PLANNING_PROGRESS, LiveState, VersionRun
from apiforge.providers.base import ChatTurn, GenerationRequest, StreamEnd
from apiforge.sandbox.module_imports import ParsedModules
from apiforge.store import repository as repo

T = TypeVar("T")

EARLIER_REQUEST = "Earlier request (already done, part of the current files): {prompt}"


async def load_request(
    runtime: GenerationRuntime, project_id: str, version_number: int
) -> tuple[GenerationRequest, dict[str, str]]:
    previous = await load_base_files(runtime, project_id, version_number)
    async with runtime.db.read() as session:
        version = await repo.get_version(session, project_id, version_number)
        messages = await repo.list_messages(session, project_id)
    # Only the person's earlier requests: apiforge's own chat notes ("Validated: …", summaries,
    # round titles) were copied back by small models instead of writing files, and what those
    # versions produced is already in the current files sent with the request.
    turns = [
        ChatTurn(role="user", content=EARLIER_REQUEST.format(prompt=m.content))
        for m in messages
        if m.role == "user" and m.version_number is not None and m.version_number < version_number
    ]
    request = GenerationRequest(
        prompt=version.prompt,
        version_number=version_number,
        previous_files=previous,
        history=tuple(turns[-runtime.settings.history_turns :]),
    )
    return request, previous


def file_listener(
    runtime: GenerationRuntime, project_id: str, preview: PartialPreview | None = None
) -> Callable[[str, str], None]:
    """Hands each completed file to the validator, which starts what it can right away, and to
    the partial preview, which restarts the app with it."""

    def completed(path: str, content: str) -> None:
        runtime.validator.file_completed(project_id, path, content)
        if preview is not None:
            preview.file_landed()

    return completed


async def open_stream(
    runtime: GenerationRuntime, project_id: str, version_number: int
) -> VersionRun:
    """The streaming step's run, its first event sent: the planning step, or a resume notice."""
    emitter = await resume.stream_emitter(
        runtime.log,
        project_id=project_id,
        version_number=version_number,
        coalesce_s=runtime.coalesce_s,
    )
    run = runtime.run_of(emitter)
    if isinstance(emitter, resume.ResumingEmitter):
        await emitter.announce()
    else:
        await run.open_step("planning", "Planning the API", PLANNING_PROGRESS)
    return run


async def run_stream(runtime: GenerationRuntime, run: VersionRun) -> VersionOutcome:
    started = time.time()
    request, previous = await load_request(runtime, run.project_id, run.version_number)
    live = run.show_live(previous)
    attempt = await stream_previewed(runtime, run, request, live)
    return no_files.counted(VersionOutcome.first(attempt, started))


async def stream_previewed(
    runtime: GenerationRuntime,
    run: VersionRun,
    request: GenerationRequest,
    live: LiveState,
    *,
    planning_done: bool = False,
    round_number: int = 0,
) -> AttemptOutcome:
    """One attempt over ``request.previous_files`` with the progressive preview following its
    files as they land: the first attempt's, and each fix round's (``round_number``)."""
    base = request.previous_files
    ids = (run.project_id, run.version_number)
    changes: dict[str, str | None] = {}
    parsed = ParsedModules()
    previews = runtime.previews
    async with partial_preview(previews, runtime.log, ids, base, changes, parsed) as preview:
        listener = file_listener(runtime, run.project_id, preview)
        assembler = Assembler(
            run, base, planning_done=planning_done, on_file=listener, parsed=parsed
        )
        # The preview reads the same changes the assembler stages, as they land.
        assembler.staged.changes = changes
        attempt = await stream_request(runtime, run, request, assembler, live, round_number)
        if preview is not None and attempt.status != "generated":
            preview.close(restart_pending=False)
    return attempt


async def stream_request(
    runtime: GenerationRuntime,
    run: VersionRun,
    request: GenerationRequest,
    assembler: Assembler,
    live: LiveState,
    round_number: int = 0,
) -> AttemptOutcome:
    """One attempt streamed through ``assembler``: its changes, prose, problems and usage, and
    a ``provider:call`` for each call it took."""
    live.changes = assembler.staged.changes
    usage = Usage()
    status: StreamStatus = "generated"
    error: StreamError | None = None
    calls = CallLog()
    source = attempt_source(runtime, request, calls)
    emitter = run.emitter
    report_calls = partial(send_calls, emitter, runtime.provider, round_number=round_number)
    stop = run.wait_for_stop(runtime.settings.stop_poll_ms / 1000)
    try:
        async for item in until_cancelled(source, stop, emitter):
            if calls.streaming and calls.ended:  # a later call began: the earlier ones ended
                await report_calls(calls.take())
            if isinstance(item, StreamEnd):
                usage = usage + (item.usage or Usage())
                continue
            await assembler.handle(item)
    except GenerationCancelled:
        status = "cancelled"
    except ApiforgeError as exc:
        status = "failed"
        error = StreamError(code=exc.code, message=exc.message, retryable=exc.retryable)
    had_files = status != "generated" or assembler.staged.blocks_seen > 0
    await report_calls(calls.take(), reply_had_files=had_files)
    await emitter.stream_ended()
    await emitter.flush_chunks()
    return attempt_outcome(assembler.staged, status, usage, error)


def attempt_source(
    runtime: GenerationRuntime, request: GenerationRequest, calls: CallLog
) -> AsyncGenerator[ParseEvent | StreamEnd, None]:
    return stream_attempt(
        runtime.provider,
        request,
        max_continuations=runtime.settings.max_continuations,
        stall_timeout_s=runtime.settings.stall_timeout_s,
        calls=calls,
    )


def attempt_outcome(
    staged: StagedChanges, status: StreamStatus, usage: Usage, error: StreamError | None
) -> AttemptOutcome:
    return AttemptOutcome(
        status=status,
        changes=staged.changes,
        summary=staged.summary,
        prose="".join(staged.prose),
        problems=tuple(staged.problems),
        edit_failures=staged.edit_failures,
        usage=usage,
        error=error,
        files_seen=staged.blocks_seen,
    )


async def until_cancelled(
    source: AsyncGenerator[T, None], cancel: Coroutine[Any, Any, None], emitter: VersionEmitter
) -> AsyncIterator[T]:
    """Items of ``source`` until it ends or ``cancel`` returns (then GenerationCancelled).

    Also flushes held code chunks when their window passes while the provider is quiet.
    Closing ``source`` early closes the provider's upstream stream, so no more tokens are billed.
    """
    cancel_wait = asyncio.ensure_future(cancel)
    try:
        while True:
            next_item = asyncio.ensure_future(anext(source))
            done: set[asyncio.Future[Any]] = set()
            while not done:
                done, _ = await asyncio.wait(
                    {next_item, cancel_wait},
                    timeout=emitter.seconds_until_due(),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if not done:
                    await emitter.flush_chunks()
            if cancel_wait in done:
                next_item.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await next_item
                # A wait that failed is that failure, never a Stop the person did not press.
                cancel_wait.result()
                raise GenerationCancelled("Stopped at your request")
            try:
                yield next_item.result()
            except StopAsyncIteration:
                return
    finally:
        cancel_wait.cancel()
        await source.aclose()
