"""Previews that work whichever process is asked: this process's PreviewManager plus the
``previews`` table (preview_registry.py).

- A request for a preview another process of this host runs is forwarded to that preview's
  socket (the processes share ``APIFORGE_PREVIEW_SOCKET_DIR``); the owner's idle clock follows
  the ``last_used_at`` such requests write.
- A preview on another host is reached over HTTP, through a live process of that host that
  advertises ``APIFORGE_INTERNAL_URL`` (host_forward.py); with none, its requests answer 503
  ``preview_on_other_host`` naming that host (route them there), never a silent duplicate.
- Starting where none runs alive starts one here and registers it; a row whose process died is
  cleaned (and its job dir removed when on this host) by whoever finds it.
- Starting another version takes the project over: the process whose row was replaced stops
  its own preview at its next sync, so one preview per project runs, not two.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

import httpx
from starlette.requests import Request
from starlette.responses import Response

from apiforge.errors import NotFoundError, ServiceUnavailable
from apiforge.periodic import Periodic
from apiforge.sandbox.bwrap import JobPaths
from apiforge.sandbox.connection import AppConnection
from apiforge.sandbox.host_forward import HOP_HEADER, HostForwarder
from apiforge.sandbox.preview import (
    PREVIEW_READ_TIMEOUT_S,
    PartialServing,
    PreviewManager,
    preview_url,
    previews_dir,
)
from apiforge.sandbox.preview_registry import PreviewRegistry, socket_answers
from apiforge.sandbox.proxy import forward, proxy_request
from apiforge.sandbox.slots import SlotPool
from apiforge.settings import Settings
from apiforge.store import repository as repo
from apiforge.store.db import Database
from apiforge.store.models import RunningPreview

log = logging.getLogger(__name__)
TOUCH_EVERY_S = 1.0  # a busy preview writes its last use at most this often


class PreviewOnOtherHost(ServiceUnavailable):
    """The preview runs on another host, whose socket this process cannot reach."""

    code = "preview_on_other_host"
    retryable = False


def _no_preview(project_id: str) -> NotFoundError:
    return NotFoundError(f"No preview is running for project {project_id}")


class SharedPreviews:
    """Owned by the server lifespan, in place of the bare manager: ``await aclose()`` last."""

    def __init__(self, manager: PreviewManager, db: Database, settings: Settings) -> None:
        self.manager = manager
        host = settings.resolved_preview_host
        self.registry = PreviewRegistry(db, settings.resolved_executor_id, host)
        self.hosts = HostForwarder(host, PREVIEW_READ_TIMEOUT_S)
        self._dir = previews_dir(settings)
        self._heartbeats_on = bool(settings.dbos_database_url)  # failover.py beats only then
        self._beat_within_s = settings.failover_after_s
        self._registered: dict[str, str] = {}  # project -> job dir of our row
        self._remote: dict[str, tuple[str, AppConnection]] = {}  # project -> (job dir, client)
        self._touched: dict[str, float] = {}
        self._lock = asyncio.Lock()  # registering vs syncing
        sync_every_s = min(max(settings.preview_idle_s / 4, 0.05), 5.0)
        self._syncs = Periodic("preview-sync", sync_every_s, self._sync_round)

    # What this process runs (metrics, the finishing step).
    @property
    def slots(self) -> SlotPool:
        return self.manager.slots

    def running(self) -> dict[str, int]:
        return self.manager.running()

    def starting(self, project_id: str) -> int | None:
        return self.manager.starting(project_id)

    async def start(
        self,
        project_id: str,
        version_number: int,
        files: Mapping[str, str],
        *,
        partial: bool = False,
    ) -> str:
        elsewhere = None
        if partial and self.manager.alive(project_id) is None:
            # The preview a partial one replaces may be another process's: restored here if
            # the streaming version ends unvalidated.
            row = await self._live_row(project_id)
            elsewhere = None if row is None else row.version_number
        url = await self.manager.start(
            project_id, version_number, files, partial=partial, replacing=elsewhere
        )
        await self._register(project_id)
        return url

    def refuse_starts(self) -> None:
        """The server is stopping: see PreviewManager.refuse_starts."""
        self.manager.refuse_starts()

    def partial_serving(self, project_id: str, version_number: int) -> PartialServing | None:
        return self.manager.partial_serving(project_id, version_number)

    async def stop_partial(self, project_id: str, version_number: int) -> None:
        """Stop the version's partial preview here, and drop its row if nothing runs now."""
        await self.manager.stop_partial(project_id, version_number)
        async with self._lock:
            if self.manager.alive(project_id) is not None:
                return
            job_dir = self._registered.pop(project_id, None)
            if job_dir is not None:
                # Only while the row is still ours: another process may have started the
                # project's next preview meanwhile, and its row must stay (or it stops it).
                await self.registry.forget(project_id, job_dir)

    async def ensure(
        self, project_id: str, version_number: int, files: Mapping[str, str]
    ) -> tuple[str, bool]:
        """The version's preview wherever it runs alive, else started here: (URL, started)."""
        row = await self._live_row(project_id)
        if row is not None and row.executor_id != self.registry.executor_id:
            if row.version_number == version_number:
                return preview_url(project_id), False
        url, started = await self.manager.ensure(project_id, version_number, files)
        if started or project_id not in self._registered:
            await self._register(project_id)
        return url, started

    async def serving(self, project_id: str) -> int | None:
        """The version the project's preview serves (on any process), or None."""
        found = await self.serving_preview(project_id)
        return None if found is None else found[0]

    async def serving_preview(self, project_id: str) -> tuple[int, bool] | None:
        """The version the project's preview serves (on any process) and whether that preview
        is partial, or None."""
        local = self.manager.serving(project_id)
        if local is not None:
            return local, self.manager.partial(project_id)
        row = await self._live_row(project_id)
        return None if row is None else (row.version_number, row.partial)

    async def stop(self, project_id: str) -> None:
        """Stop it here, and drop its row: another process owning it stops it at its sync."""
        async with self._lock:
            self._registered.pop(project_id, None)
            await self.manager.stop(project_id)
            await self.registry.forget(project_id)
        await self._drop_remote(project_id)

    async def proxy(self, project_id: str, request: Request, path: str) -> Response:
        row = await self.registry.find(project_id)
        if row is None or row.executor_id == self.registry.executor_id:
            return await proxy_request(self.manager, project_id, request, path)
        if row.host != self.registry.host:
            if not await self._other_host_alive(row):
                await self.registry.forget(project_id, row.job_dir)
                raise _no_preview(project_id)
            return await self._to_other_host(row, request)
        return await self._forward(row, request, path)

    async def _to_other_host(self, row: RunningPreview, request: Request) -> Response:
        came_from = request.headers.get(HOP_HEADER)
        url = None
        if came_from is None:
            url = await self.registry.internal_url_on(
                row.host, row.executor_id, self._beat_within_s
            )
        if url is not None:
            return await self.hosts.forward(url, row.host, request)
        why = (
            f"it was forwarded here from host {came_from}, which found it on this one"
            if came_from is not None
            else f"no live process there sets APIFORGE_INTERNAL_URL: send "
            f"/preview/{row.project_id}/ requests to {row.host}"
        )
        raise PreviewOnOtherHost(
            f"The preview of project {row.project_id} runs on host {row.host} (process "
            f"{row.executor_id}); this server, on {self.registry.host}, cannot reach it: {why}"
        )

    async def _forward(self, row: RunningPreview, request: Request, path: str) -> Response:
        project_id = row.project_id
        try:
            connection = await self._connection(row)
        except FileNotFoundError:
            await self._clean_dead(row)
            raise _no_preview(project_id) from None
        await self._touch(row)
        try:
            return await forward(
                connection.client, project_id, request, path, _noop, raise_unreachable=True
            )
        except httpx.ConnectError:
            if await socket_answers(row.job_dir):
                raise ServiceUnavailable("The preview did not accept the connection") from None
            await self._clean_dead(row)
            raise _no_preview(project_id) from None

    async def _connection(self, row: RunningPreview) -> AppConnection:
        cached = self._remote.get(row.project_id)
        if cached is not None and cached[0] == row.job_dir:
            return cached[1]
        await self._drop_remote(row.project_id)  # a client of the project's previous preview
        connection = AppConnection(JobPaths(Path(row.job_dir)), PREVIEW_READ_TIMEOUT_S)
        self._remote[row.project_id] = (row.job_dir, connection)
        return connection

    async def _drop_remote(self, project_id: str) -> None:
        cached = self._remote.pop(project_id, None)
        if cached is not None:
            await cached[1].aclose()

    async def _touch(self, row: RunningPreview) -> None:
        now = time.monotonic()
        if now - self._touched.get(row.project_id, 0.0) >= TOUCH_EVERY_S:
            self._touched[row.project_id] = now
            await self.registry.touch(row.project_id, row.job_dir)

    async def _live_row(self, project_id: str) -> RunningPreview | None:
        """The project's row if its preview is alive; a dead one's row is cleaned."""
        row = await self.registry.find(project_id)
        if row is None or row.executor_id == self.registry.executor_id:
            return row if row is not None and self.manager.alive(project_id) else None
        if row.host == self.registry.host:
            if await socket_answers(row.job_dir):
                return row
            await self._clean_dead(row)
            return None
        if await self._other_host_alive(row):
            return row
        await self.registry.forget(project_id, row.job_dir)
        return None

    async def _other_host_alive(self, row: RunningPreview) -> bool:
        beats = await self.registry.owner_beats(row.executor_id, self._beat_within_s)
        # No heartbeat row: with heartbeats on, its process is gone (taken over and forgotten).
        return beats if beats is not None else not self._heartbeats_on

    async def _clean_dead(self, row: RunningPreview) -> None:
        """A row on this host nobody answers for: its process died (and its sandbox with it,
        bubblewrap's --die-with-parent), so its row and job dir go."""
        log.info("preview of %s on %s is gone; cleaning its row", row.project_id, row.executor_id)
        await self.registry.forget(row.project_id, row.job_dir)
        await self._drop_remote(row.project_id)
        if Path(row.job_dir).parent == self._dir:  # never a path outside our previews' dir
            await asyncio.to_thread(shutil.rmtree, row.job_dir, True)

    async def _register(self, project_id: str) -> None:
        async with self._lock:
            preview = self.manager.alive(project_id)
            if preview is None:
                return
            await self.registry.claim(
                project_id, preview.version_number, preview.job, partial=preview.partial
            )
            self._registered[project_id] = str(preview.job.root)
        await self._drop_remote(project_id)
        self._syncs.start()

    async def _sync_round(self) -> None:
        if self._registered:
            await self.sync()

    async def sync(self) -> None:
        """Align our previews with our rows: rows of reaped previews go, previews whose row
        another process took over (or a stop removed) stop, and the idle clock of each follows
        its use through other processes."""
        async with self._lock:
            rows = await self.registry.mine()
            for project_id, job_dir in list(self._registered.items()):
                await self._sync_one(project_id, job_dir, rows.get(project_id))
            for project_id, row in rows.items():
                if project_id not in self._registered:  # left by an earlier run of ours
                    await self.registry.forget(project_id, row.job_dir)

    async def _sync_one(self, project_id: str, job_dir: str, row: RunningPreview | None) -> None:
        preview = self.manager.alive(project_id)
        ours = preview is not None and str(preview.job.root) == job_dir
        if not ours or row is None or row.job_dir != job_dir:
            del self._registered[project_id]
            if ours:
                await self.manager.stop(project_id)  # taken over, or stopped elsewhere
            elif row is not None and row.job_dir == job_dir:
                await self.registry.forget(project_id, job_dir)  # reaped or replaced here
            return
        assert preview is not None
        idle_s = (repo.now() - row.last_used_at).total_seconds()
        preview.last_used = max(preview.last_used, time.monotonic() - max(idle_s, 0.0))

    async def aclose(self) -> None:
        await self._syncs.aclose()
        for project_id in list(self._remote):
            await self._drop_remote(project_id)
        await self.hosts.aclose()
        with contextlib.suppress(Exception):  # the database may be away; rows are checked
            for project_id, job_dir in list(self._registered.items()):
                await self.registry.forget(project_id, job_dir)
        self._registered.clear()
        await self.manager.aclose()


def _noop() -> None:
    """A forwarded request holds no lease here: the owner's idle clock follows ``touch``."""
