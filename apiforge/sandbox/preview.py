"""Live previews: a validated version's app kept running in its sandbox, one per project.

Bounded in number (the least recently used is stopped to make room), stopped after an idle
timeout, and replaced when another version of the same project starts (after a generation, or on
request through ``ensure``). Each preview holds a slot (its own uid) for its lifetime.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from apiforge.errors import NotFoundError, ValidationFailed
from apiforge.sandbox.bwrap import JobPaths
from apiforge.sandbox.connection import BootFailed
from apiforge.sandbox.runner import SandboxRunner, SandboxTools, detect_tools
from apiforge.sandbox.runtime import ValidationRuntime, current_runtime
from apiforge.sandbox.slots import SlotPool
from apiforge.sandbox.stages import RunningApp, find_app_target, start_app
from apiforge.sandbox.validator import jobs_dir, limits_from
from apiforge.sandbox.workdir import create_job, remove_job
from apiforge.settings import Settings

logger = logging.getLogger(__name__)
PREVIEW_CPU_SECONDS = 6 * 3600
PREVIEW_READ_TIMEOUT_S = 300.0  # long enough for a slow stream, short enough to free a stuck one


@dataclass
class Preview:
    project_id: str
    version_number: int
    app: RunningApp
    job: JobPaths
    uid: int | None
    # Booted from a still-streaming version's files so far (generation/plumbing/partial_preview).
    partial: bool = False
    # For a partial preview: the version whose preview served before the streaming version's
    # first one took its place (None: none did), restored if that version ends unvalidated.
    replaced: int | None = None
    last_used: float = field(default_factory=time.monotonic)
    active_requests: int = 0

    @property
    def url(self) -> str:
        return preview_url(self.project_id)

    def touch(self) -> None:
        self.last_used = time.monotonic()


@dataclass(frozen=True)
class PartialServing:
    """A streaming version's partial preview serves the project; it took the place of version
    ``replaced``'s preview (None: no preview served before it)."""

    replaced: int | None


class PreviewsClosed(ValidationFailed):
    """The server is stopping: no preview starts, and a boot under way gave up. Its callers
    have nothing to report: every preview stops with the server."""

    code = "preview_closed"

    def __init__(self) -> None:
        super().__init__("previews are shut down")


def preview_url(project_id: str) -> str:
    return f"/preview/{project_id}/"


def previews_dir(settings: Settings) -> Path:
    """Where previews' job dirs (and so their sockets) live: shared by the processes of a host
    that serve each other's previews (preview_registry.py)."""
    return (settings.preview_socket_dir or jobs_dir(settings)).resolve()


class PreviewManager:
    """Owned by the server lifespan: ``PreviewManager(settings)`` … ``await manager.aclose()``."""

    def __init__(self, settings: Settings, runtime: ValidationRuntime | None = None) -> None:
        self._settings = settings
        self._runtime = runtime or current_runtime()
        # Preview uids follow the validator's, so the two never share a process budget.
        first_uid = settings.sandbox_first_uid + settings.sandbox_slots
        self.slots = SlotPool(first_uid, settings.preview_max)
        self._previews: dict[str, Preview] = {}
        # project_id -> version being booted, so readers can say "starting" while it boots.
        self._starting: dict[str, int] = {}
        self._lock = asyncio.Lock()
        self._reaper: asyncio.Task[None] | None = None
        self._wake_reaper = asyncio.Event()
        self._closed = False
        # The boots under way, each under a deadline that refuse_starts() brings to now.
        self._boots: set[asyncio.Timeout] = set()

    def running(self) -> dict[str, int]:
        """project_id -> version number of every running preview."""
        return {pid: p.version_number for pid, p in self._previews.items()}

    def serving(self, project_id: str) -> int | None:
        """The version the project's preview serves, or None when none is alive."""
        preview = self.alive(project_id)
        return None if preview is None else preview.version_number

    def alive(self, project_id: str) -> Preview | None:
        """The project's preview while its app runs."""
        preview = self._previews.get(project_id)
        if preview is None or preview.app.process.returncode is not None:
            return None
        return preview

    def partial(self, project_id: str) -> bool:
        """Whether the project's preview runs a still-streaming version's files so far."""
        preview = self._previews.get(project_id)
        return preview is not None and preview.partial

    def partial_serving(self, project_id: str, version_number: int) -> PartialServing | None:
        """What the version's partial preview replaced, while it serves the project."""
        preview = self.alive(project_id)
        if preview is None or not preview.partial or preview.version_number != version_number:
            return None
        return PartialServing(replaced=preview.replaced)

    def starting(self, project_id: str) -> int | None:
        """The version whose preview is being booted for the project, if any."""
        return self._starting.get(project_id)

    async def start(
        self,
        project_id: str,
        version_number: int,
        files: Mapping[str, str],
        *,
        partial: bool = False,
        replacing: int | None = None,
    ) -> str:
        """Start (or replace) the project's preview; returns its URL path.

        A partial preview replaces the project's preview only once the new app has booted
        (when a slot is free for both): a file that breaks the boot leaves the last one serving.
        ``replacing`` names the version another process serves when none runs here.
        """
        url, _ = await self._start(
            project_id, version_number, files, reuse=False, partial=partial, replacing=replacing
        )
        return url

    async def stop_partial(self, project_id: str, version_number: int) -> None:
        """Stop the version's partial preview (its generation failed or was cancelled)."""
        async with self._lock:
            preview = self._previews.get(project_id)
            if preview is not None and preview.partial and preview.version_number == version_number:
                await self._stop_locked(project_id)

    async def ensure(
        self, project_id: str, version_number: int, files: Mapping[str, str]
    ) -> tuple[str, bool]:
        """The version's preview, started unless it already runs: (URL path, started now)."""
        return await self._start(project_id, version_number, files, reuse=True)

    async def _start(
        self,
        project_id: str,
        version_number: int,
        files: Mapping[str, str],
        *,
        reuse: bool,
        partial: bool = False,
        replacing: int | None = None,
    ) -> tuple[str, bool]:
        if self._closed:
            raise PreviewsClosed()
        tools = detect_tools(allow_unsafe=self._settings.sandbox_unsafe_local)
        target = find_app_target(files)
        if target is None:
            raise ValidationFailed("no FastAPI app to preview", code="preview_failed")
        self._starting[project_id] = version_number
        try:
            async with self._lock:
                if reuse and self.serving(project_id) == version_number:
                    self._previews[project_id].touch()
                    return preview_url(project_id), False
                before = self._replaced_by(project_id, replacing)
                preview = await self._boot_locked(project_id, version_number, files, target, tools)
                preview.partial = partial
                preview.replaced = before if partial else None
        finally:
            if self._starting.get(project_id) == version_number:
                del self._starting[project_id]
        return preview_url(project_id), True

    def _replaced_by(self, project_id: str, elsewhere: int | None) -> int | None:
        """The version a partial preview started now takes the place of: the one serving, or
        (when that is a partial one) the one that served before it."""
        serving = self.alive(project_id)
        if serving is None:
            return elsewhere
        return serving.replaced if serving.partial else serving.version_number

    async def _boot_locked(
        self,
        project_id: str,
        version_number: int,
        files: Mapping[str, str],
        target: str,
        tools: SandboxTools,
    ) -> Preview:
        """The new app booted, then put in place of the project's old one.

        The old one keeps serving while the new one boots if a slot is free for it without
        stopping another project's preview; otherwise it is stopped first (as before).
        """
        if self._closed:
            raise PreviewsClosed()
        if self.slots.available == 0:
            await self._stop_locked(project_id)
        while self.slots.available == 0 and self._previews:
            oldest = min(self._previews.values(), key=lambda p: p.last_used)
            await self._stop_locked(oldest.project_id)
        taken, uid = self.slots.try_take()
        if not taken:
            raise ValidationFailed("no preview slot free", code="preview_busy", retryable=True)
        try:
            preview = await self._launch(project_id, version_number, files, target, uid, tools)
        except BaseException:
            self.slots.give_back(uid)
            raise
        await self._stop_locked(project_id)
        self._previews[project_id] = preview
        self._ensure_reaper()
        return preview

    @contextlib.asynccontextmanager
    async def _refusable_boot(self) -> AsyncIterator[None]:
        """A boot that ``refuse_starts`` ends at once (its app is killed, its job removed), as
        PreviewsClosed; a cancel from outside stays a cancel."""
        if self._closed:  # refused while this start made room or wrote the job's files
            raise PreviewsClosed()
        try:
            async with asyncio.timeout(None) as deadline:
                self._boots.add(deadline)
                try:
                    yield
                finally:
                    self._boots.discard(deadline)
        except TimeoutError:
            if deadline.expired():
                raise PreviewsClosed() from None
            raise

    def refuse_starts(self) -> None:
        """The server is stopping: no preview starts from now on, and a boot under way gives up
        at once (PreviewsClosed) rather than finish only to be stopped with the others. The
        stop waits for a generation in its last step (WorkflowTasks), which starts the version's
        preview: without this, for a whole boot (seconds on a busy machine). A start waiting
        for the lock meanwhile finds the manager closed once it has it."""
        self._closed = True
        now = asyncio.get_running_loop().time()
        for deadline in self._boots:
            if not deadline.expired():  # refused already, still killing its app
                deadline.reschedule(now)

    async def _launch(
        self,
        project_id: str,
        version_number: int,
        files: Mapping[str, str],
        target: str,
        uid: int | None,
        tools: SandboxTools,
    ) -> Preview:
        base = previews_dir(self._settings)
        job = await asyncio.to_thread(create_job, base, files, uid, unsafe=tools.unsafe)
        runner = SandboxRunner(tools, self._runtime, job, uid, limits_from(self._settings))
        try:
            async with self._refusable_boot():
                app = await start_app(
                    runner,
                    target,
                    self._settings.sandbox_boot_timeout_s,
                    root_path=preview_url(project_id).rstrip("/"),
                    cpu_seconds=PREVIEW_CPU_SECONDS,
                    read_timeout=PREVIEW_READ_TIMEOUT_S,
                )
        except BaseException as error:
            await asyncio.to_thread(remove_job, job)
            if isinstance(error, BootFailed):
                message = f"preview did not start: {error}"
                raise ValidationFailed(message, code="preview_failed") from error
            raise
        return Preview(project_id, version_number, app, job, uid)

    async def stop(self, project_id: str) -> None:
        async with self._lock:
            await self._stop_locked(project_id)

    async def _stop_locked(self, project_id: str) -> None:
        preview = self._previews.get(project_id)
        if preview is None:
            return
        try:
            await preview.app.stop()
        finally:
            # Listed until really gone, so `running()` never shows a preview as stopped early.
            self._previews.pop(project_id, None)
            await asyncio.to_thread(remove_job, preview.job)
            self.slots.give_back(preview.uid)

    def acquire(self, project_id: str) -> Preview:
        """For one proxied request: the running preview, marked busy until ``release``."""
        preview = self._previews.get(project_id)
        if preview is None or preview.app.process.returncode is not None:
            raise NotFoundError(f"No preview is running for project {project_id}")
        preview.active_requests += 1
        preview.touch()
        return preview

    def release(self, preview: Preview) -> None:
        preview.active_requests = max(0, preview.active_requests - 1)
        preview.touch()

    def _ensure_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.create_task(self._reap_forever(), name="preview-reaper")

    async def _reap_forever(self) -> None:
        """Runs while previews exist. Never cancelled mid-stop: ``aclose`` wakes it and waits."""
        interval = min(max(self._settings.preview_idle_s / 4, 0.05), 5.0)
        while self._previews and not self._closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake_reaper.wait(), interval)
            if not self._closed:
                await self.reap_idle()

    async def reap_idle(self) -> list[str]:
        """Stop previews idle longer than the timeout (or whose app died); returns their ids."""
        now, idle = time.monotonic(), self._settings.preview_idle_s
        stopped: list[str] = []
        async with self._lock:
            for project_id, preview in list(self._previews.items()):
                dead = preview.app.process.returncode is not None
                idle_too_long = preview.active_requests == 0 and now - preview.last_used > idle
                if dead or idle_too_long:
                    await self._stop_locked(project_id)
                    stopped.append(project_id)
        for project_id in stopped:
            logger.info("preview of %s stopped (idle or exited)", project_id)
        return stopped

    async def aclose(self) -> None:
        self.refuse_starts()
        self._wake_reaper.set()
        if self._reaper is not None:
            await self._reaper
        async with self._lock:
            for project_id in list(self._previews):
                await self._stop_locked(project_id)
