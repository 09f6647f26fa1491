"""The progressive preview: the app booted from a streaming version's files so far.

Owned by the streaming step and each fix round (``async with partial_preview(...)`` around the
stream, ``streaming.stream_previewed``): each file
that lands marks the tree changed; after a short quiet period (bursts of small files restart the
app once) the tree is checked cheaply (``sandbox/boot_check``) and, when it can boot, the
project's preview is restarted from it and ``preview:ready {partial: true}`` is sent. A tree that
cannot boot keeps the last preview serving and sends ``preview:error`` with the reason.
When the stream ends, a last pending restart runs, then the task ends with the step. The
validated preview replaces it after validation; a failed or cancelled version hands the preview
back to the one it replaced, or stops it (``preview_handback.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Protocol, cast

from apiforge.errors import ApiforgeError
from apiforge.events.types import Event, PreviewError, PreviewReady
from apiforge.generation.plumbing.context import PreviewStarter
from apiforge.generation.plumbing.emitter import VersionIds
from apiforge.generation.plumbing.files import apply_changes
from apiforge.sandbox.boot_check import check_boot
from apiforge.sandbox.module_imports import ParsedModules
from apiforge.sandbox.preview import PreviewsClosed

log = logging.getLogger(__name__)
AppKey = tuple[tuple[str, str], ...]
# Files often land in bursts (package markers, small modules): one restart per burst.
DEBOUNCE_S = 0.15


class EventSink(Protocol):
    """Where the preview's events go: the project's EventLog."""

    async def append(self, event: Event) -> object: ...


class PartialPreview:
    def __init__(
        self,
        previews: PreviewStarter,
        log_: EventSink,
        ids: tuple[str, int],
        base: Mapping[str, str],
        changes: Mapping[str, str | None],
        parsed: ParsedModules | None = None,
    ) -> None:
        self._previews, self._log = previews, log_
        # The stream's parse results (the assembler parsed each file it accepted).
        self._parsed = parsed if parsed is not None else ParsedModules()
        self.project_id, self.version_number = ids
        self._base, self._changes = base, changes
        self._changed = asyncio.Event()
        self._closing = False
        self._last_reason = ""
        # What the running app was booted from (its modules and their text): a file the app
        # does not import (tests, README) restarts nothing. Starts as the base files' app, so a
        # follow-up replaces the previous version's preview only once its own app differs.
        self._booted = app_key(base, parsed=self._parsed)
        self._failed: AppKey | None = None  # the last app that did not boot: not tried again
        self.started = 0  # restarts that booted

    def file_landed(self) -> None:
        self._changed.set()

    def close(self, *, restart_pending: bool = True) -> None:
        """The stream ended: run a pending restart (unless told not to), then stop."""
        self._closing = True
        if not restart_pending:
            self._changes = {}
        self._changed.set()

    async def run(self) -> None:
        while True:
            await self._changed.wait()
            if not self._closing:
                await asyncio.sleep(DEBOUNCE_S)
            closing, pending = self._closing, bool(self._changes)
            self._changed.clear()
            if pending:
                try:
                    await self._restart()
                except Exception as error:  # the preview is a convenience: never fail the stream
                    log.exception("partial preview of %s failed", self.project_id)
                    await self._report(f"the preview could not restart: {error}")
            if closing:
                return

    async def _restart(self) -> None:
        files = apply_changes(self._base, self._changes)
        check = check_boot(files, self._parsed)
        if check.state == "waiting":
            return
        if check.state == "broken":
            await self._report(check.reason)
            return
        key = app_key(files, check.modules)
        if key in (self._booted, self._failed):
            return
        try:
            url = await self._previews.start(
                self.project_id, self.version_number, files, partial=True
            )
        except PreviewsClosed:
            return  # the server is stopping, and so is this stream (it resumes at the restart)
        except ApiforgeError as error:
            self._failed = key
            await self._report(error.message)
            return
        self.started += 1
        self._booted, self._last_reason = key, ""
        ready = PreviewReady(**self._ids(), url=url, partial=True)
        await self._send(ready)

    async def _report(self, reason: str) -> None:
        if reason == self._last_reason:
            return  # the same problem again (a later file did not fix it): said already
        self._last_reason = reason
        log.info("partial preview of %s kept: %s", self.project_id, reason)
        await self._send(PreviewError(**self._ids(), reason=reason))

    def _ids(self) -> VersionIds:
        return VersionIds(project_id=self.project_id, version_number=self.version_number)

    async def _send(self, event: PreviewReady | PreviewError) -> None:
        # Straight to the log, not through the version's emitter: a resumed stream replays
        # the emitter's events by count, and these come at times of their own.
        await self._log.append(cast(Event, event))


def app_key(
    files: Mapping[str, str],
    modules: tuple[str, ...] | None = None,
    parsed: ParsedModules | None = None,
) -> AppKey | None:
    """The bootable app in ``files``: its modules with their text, plus its requirements."""
    if modules is None:
        check = check_boot(files, parsed)
        if check.state != "ready":
            return None
        modules = check.modules
    paths = [*modules, *(p for p in ("requirements.txt",) if p in files)]
    return tuple((path, files[path]) for path in paths)


@asynccontextmanager
async def partial_preview(
    previews: PreviewStarter | None,
    log_: EventSink,
    ids: tuple[str, int],
    base: Mapping[str, str],
    changes: Mapping[str, str | None],
    parsed: ParsedModules | None = None,
) -> AsyncIterator[PartialPreview | None]:
    """A PartialPreview running for the ``with`` block (None when previews are off); leaving
    the block runs its last pending restart and waits for it (an error leaving it cancels it)."""
    if previews is None:
        yield None
        return
    partial = PartialPreview(previews, log_, ids, base, changes, parsed)
    # Owned here rather than by a TaskGroup, which would wrap the stream's own errors in an
    # ExceptionGroup; run() never raises, so awaiting it cannot fail the stream.
    task = asyncio.create_task(partial.run(), name=f"partial-preview-{ids[0]}")
    try:
        yield partial
    except BaseException:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise
    partial.close()
    await task
