"""The streaming step: provider text → parser → events, until done, failed or cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from apiforge.errors import ApiforgeError, GenerationCancelled
from apiforge.events.types import Usage
from apiforge.generation import no_files
from apiforge.generation.assembler import Assembler
from apiforge.generation.attempt import stream_attempt
from apiforge.generation.emitter import VersionEmitter
from apiforge.generation.files import load_base_files
from apiforge.generation.runtime import GenerationRuntime, LiveState
from apiforge.providers.base import ChatTurn, GenerationRequest, StreamEnd
from apiforge.store import repository as repo

T = TypeVar("T")


async def load_request(
    runtime: GenerationRuntime, project_id: str, version_number: int
) -> tuple[GenerationRequest, dict[str, str]]:
    previous = await load_base_files(runtime, project_id, version_number)
    async with runtime.db.read() as session:
        version = await repo.get_version(session, project_id, version_number)
        messages = await repo.list_messages(session, project_id)
    turns = [
        ChatTurn(role=m.role, content=m.content)  # type: ignore[arg-type]
        for m in messages
        if m.version_number is not None and m.version_number < version_number
    ]
    request = GenerationRequest(
        prompt=version.prompt,
        version_number=version_number,
        previous_files=previous,
        history=tuple(turns[-runtime.settings.history_turns :]),
    )
    return request, previous


def file_listener(runtime: GenerationRuntime, project_id: str) -> Callable[[str, str], None]:
    """Hands each completed file to the validator, which starts what it can right away."""

    def completed(path: str, content: str) -> None:
        runtime.validator.file_completed(project_id, path, content)

    return completed


async def run_stream(runtime: GenerationRuntime, emitter: VersionEmitter) -> dict[str, Any]:
    started = time.time()
    request, previous = await load_request(runtime, emitter.project_id, emitter.version_number)
    live = LiveState(version_number=emitter.version_number, base=previous)
    runtime.live[emitter.project_id] = live
    listener = file_listener(runtime, emitter.project_id)
    assembler = Assembler(emitter, previous, on_file=listener)
    outcome = await stream_request(runtime, emitter, request, assembler, live)
    return no_files.counted({**outcome, "started": started})


async def stream_request(
    runtime: GenerationRuntime,
    emitter: VersionEmitter,
    request: GenerationRequest,
    assembler: Assembler,
    live: LiveState,
) -> dict[str, Any]:
    """One attempt streamed through ``assembler``: its changes, prose, problems and usage."""
    live.changes = assembler.staged.changes
    usage, status, error = Usage(), "generated", None
    source = stream_attempt(
        runtime.provider,
        request,
        max_continuations=runtime.settings.max_continuations,
        stall_timeout_s=runtime.settings.stall_timeout_s,
    )
    try:
        async for item in until_cancelled(source, runtime.cancel_flag(emitter.project_id), emitter):
            if isinstance(item, StreamEnd):
                usage = usage + item.usage
                continue
            await assembler.handle(item)
    except GenerationCancelled:
        status = "cancelled"
    except ApiforgeError as exc:
        status = "failed"
        error = {"code": exc.code, "message": exc.message, "retryable": exc.retryable}
    await emitter.stream_ended()
    await emitter.flush_chunks()
    staged = assembler.staged
    return {
        "status": status,
        "changes": staged.changes,
        "summary": staged.summary,
        "prose": "".join(staged.prose),
        "problems": staged.problems,
        "edit_failures": staged.edit_failures,
        "files_seen": staged.blocks_seen,
        "usage": usage.model_dump(),
        "error": error,
    }


async def until_cancelled(
    source: AsyncIterator[T], cancel: asyncio.Event, emitter: VersionEmitter
) -> AsyncIterator[T]:
    """Items of ``source`` until it ends or ``cancel`` is set (then GenerationCancelled).

    Also flushes held code chunks when their window passes while the provider is quiet.
    Closing ``source`` early closes the provider's upstream stream, so no more tokens are billed.
    """
    cancel_wait = asyncio.ensure_future(cancel.wait())
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
                raise GenerationCancelled("Stopped at your request")
            try:
                yield next_item.result()
            except StopAsyncIteration:
                return
    finally:
        cancel_wait.cancel()
        await source.aclose()  # type: ignore[attr-defined]
