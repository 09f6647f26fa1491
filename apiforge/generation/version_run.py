"""The one owner of a version's life: its status, its steps, its live state and its stop request.

Every path that makes a version — a generation with its fix rounds, a regenerate, a restore, a
fork — changes the version's status only here (tests/generation/test_generation_status_owner.py
checks that no other module assigns it). The lifecycle:

    pending ──begin──▶ generating ──start_validating──▶ validating ──settle──▶ complete | failed
       │                   │  ▲                               │                       | cancelled
       │                   │  └───── a fix round streams ─────┘
       │                   └──────────────settle / fail──────────────────────▶ failed | cancelled
       └── settle_at_once (restore, fork) ──▶ complete
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from apiforge.errors import DatabaseUnavailable
from apiforge.events.log import EventLog
from apiforge.events.types import (
    ErrorEvent,
    Step,
    StepComplete,
    StepStart,
    Usage,
    ValidatedAs,
    ValidationComplete,
    VersionComplete,
    VersionStart,
)
from apiforge.generation.plumbing.emitter import VersionEmitter
from apiforge.generation.plumbing.files import apply_changes
from apiforge.metrics import Metrics
from apiforge.store import repository as repo
from apiforge.store.db import Database
from apiforge.store.models import ApiVersion
from apiforge.store.status import VersionStatus

log = logging.getLogger(__name__)

# Where the progress bar stands when each step opens; only a complete version reaches 100.
PLANNING_PROGRESS, GENERATING_PROGRESS, VALIDATING_PROGRESS = 0, 10, 80


@dataclass
class LiveState:
    """A running generation's progress, for snapshots sent to clients that fell too far back."""

    version_number: int
    step: Step = "planning"
    base: Mapping[str, str] = field(default_factory=dict)
    # The assembler's staged changes, shared (not copied) so streaming does no extra work per
    # event; the file set is only put together when a snapshot asks for it.
    changes: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def files(self) -> dict[str, str]:
        return apply_changes(self.base, self.changes)


class RunBoard:
    """This process's running versions by project: their live state, stop requests and open
    steps. Owned by the app lifespan (through GenerationRuntime); written only by VersionRun,
    except that a person's Stop is recorded by ``request_stop``."""

    def __init__(self) -> None:
        self._live: dict[str, LiveState] = {}
        self._stop: dict[str, asyncio.Event] = {}
        self._opened: dict[tuple[str, Step], float] = {}

    def live(self, project_id: str) -> LiveState | None:
        return self._live.get(project_id)

    def __len__(self) -> int:
        return len(self._live)

    def request_stop(self, project_id: str) -> None:
        """Stop a run of this process at once. A run elsewhere (or not yet watching) reads the
        version row instead, so nothing is kept here for it: no entry outlives its run."""
        event = self._stop.get(project_id)
        if event is not None:
            event.set()

    def stop_event(self, project_id: str) -> asyncio.Event:
        return self._stop.setdefault(project_id, asyncio.Event())

    def clear_stop(self, project_id: str) -> None:
        """A new version starts with no stop pending (a late Stop of the last one is moot)."""
        self._stop.pop(project_id, None)

    def _show(self, project_id: str, live: LiveState) -> None:
        self._live[project_id] = live

    def _forget(self, project_id: str) -> None:
        self._live.pop(project_id, None)
        self._stop.pop(project_id, None)
        for key in [k for k in self._opened if k[0] == project_id]:
            del self._opened[key]


class VersionRun:
    """One version being made, seen from one workflow step (each step makes its own, with the
    emitter it streams through; what must outlive a step is kept in the board or the DB)."""

    def __init__(
        self, db: Database, board: RunBoard, emitter: VersionEmitter, metrics: Metrics | None = None
    ) -> None:
        self._db = db
        self._board = board
        self.emitter = emitter
        # Counted here, where the status changes, so each start and end is counted once.
        self._metrics = metrics if metrics is not None else Metrics()

    @property
    def project_id(self) -> str:
        return self.emitter.project_id

    @property
    def version_number(self) -> int:
        return self.emitter.version_number

    @property
    def stop_requested(self) -> asyncio.Event:
        """Set once this process knows of a Stop (its own request, or one read from the DB)."""
        return self._board.stop_event(self.project_id)

    async def stop_recorded(self) -> bool:
        """Whether a Stop was requested here or, as the version row says, on any process."""
        event = self.stop_requested
        if not event.is_set():
            async with self._db.read() as session:
                version = await repo.get_version(session, self.project_id, self.version_number)
                if version.stop_requested_at is not None:
                    event.set()
        return event.is_set()

    async def wait_for_stop(self, poll_s: float) -> None:
        """Return when a Stop is requested, and only then. This process's own is seen at once;
        another process's is read from the version row every ``poll_s`` (a row, not a message:
        it survives a crash of either process, so a resumed run still stops).

        The row is polled only on a shared (PostgreSQL) database. On SQLite the data dir's
        claim (``server.lock``) makes this the only server writing it, so every Stop comes
        through this process's board; the row is read once, for a Stop recorded before a
        restart. A failed read is not a Stop: it is logged and read again next time."""
        event = self.stop_requested
        while True:
            recorded = await self._read_stop()
            if recorded:
                return
            if recorded is not None and not self._db.shared:
                await event.wait()
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=poll_s)

    async def _read_stop(self) -> bool | None:
        """``stop_recorded``, or None when the database could not be read."""
        try:
            return await self.stop_recorded()
        except (SQLAlchemyError, OSError, DatabaseUnavailable) as error:
            log.warning(
                "reading the Stop of %s v%d failed (%s); reading it again",
                self.project_id,
                self.version_number,
                error,
            )
            return None

    async def begin(self, provider_label: str) -> None:
        async with self._db.transaction() as session:
            version = await repo.get_version(session, self.project_id, self.version_number)
            version.status = VersionStatus.GENERATING
            version.provider = provider_label
            version_id, prompt = version.id, version.prompt
        self._metrics.generation_started()
        await self.emitter.emit(
            VersionStart(**self.emitter.ids, version_id=version_id, prompt=prompt)
        )

    def show_live(self, base: Mapping[str, str], step: Step = "planning") -> LiveState:
        """Start showing this run's files to snapshots: ``base`` plus what streams in."""
        live = LiveState(version_number=self.version_number, step=step, base=base)
        self._board._show(self.project_id, live)
        return live

    async def open_step(self, step: Step, message: str, progress: int) -> None:
        self._board._opened[(self.project_id, step)] = time.time()
        await self.emitter.emit(
            StepStart(**self.emitter.ids, step=step, message=message, progress=progress)
        )

    async def close_step(
        self, step: Step, message: str, *, since: float | None = None, timed: bool = True
    ) -> None:
        """End ``step``, timed from ``since`` (a checkpointed start) or from when it was opened.

        ``timed=False`` sends 0: steps a resumed run compares event by event with the log
        (planning) or that take no time of their own (saving) must not differ by a clock.
        """
        opened = self._board._opened.pop((self.project_id, step), None)
        start = since if since is not None else opened
        duration_ms = int((time.time() - start) * 1000) if timed and start is not None else 0
        if timed and start is not None:
            self._metrics.step_completed(step, duration_ms)
        await self.emitter.emit(
            StepComplete(**self.emitter.ids, step=step, message=message, duration_ms=duration_ms)
        )

    async def start_validating(self) -> None:
        async with self._db.transaction() as session:
            version = await repo.get_version(session, self.project_id, self.version_number)
            version.status = VersionStatus.VALIDATING
        live = self._board.live(self.project_id)
        if live is not None:
            live.step = "validating"
        await self.open_step("validating", "Running the API", VALIDATING_PROGRESS)

    async def settle(
        self,
        status: VersionStatus,
        record: Callable[[AsyncSession, ApiVersion], Awaitable[None]],
        usage: Usage | None = None,
    ) -> bool:
        """End the version as ``status``; ``record`` stores the rest of it in the same
        transaction. False (and nothing written) when it had ended already: a step re-run
        after a crash finds the first run's commit. ``usage``: the provider's, for metrics."""
        settled = False
        async with self._db.transaction() as session:
            version = await repo.get_version(session, self.project_id, self.version_number)
            if not version.status.final:
                await record(session, version)
                version.status, version.completed_at = status, repo.now()
                settled = True
                self._count_end(version, usage)
        self._board._forget(self.project_id)
        return settled

    def _count_end(self, version: ApiVersion, usage: Usage | None) -> None:
        seconds = (repo.now() - version.created_at).total_seconds()
        self._metrics.generation_finished(version.status, seconds, usage or Usage())
        log.info(
            "generation of v%d ended: %s after %.1f s",
            version.version_number,
            version.status.value,
            seconds,
        )

    async def fail(self, code: str, message: str) -> bool:
        """End a version that cannot go on as failed, with a system chat message and an error;
        False when it had ended already. The row is locked: of several processes failing it at
        once (each sweeping for stranded generations), one ends it, the others see it ended."""
        async with self._db.transaction() as session:
            row = await repo.get_version(session, self.project_id, self.version_number, lock=True)
            if not row.status.active:
                return False
            row.status, row.error, row.completed_at = VersionStatus.FAILED, message, repo.now()
            self._count_end(row, None)
            await repo.add_message(
                session, project_id=self.project_id, role="system", content=message, version=row
            )
        self._board._forget(self.project_id)
        await self.emitter.emit(
            ErrorEvent(**self.emitter.ids, code=code, message=message, retryable=True)
        )
        return True


async def request_stop(db: Database, board: RunBoard, project_id: str) -> bool:
    """A person's Stop: recorded on the running version, whichever process runs it (it polls
    the row), and in this process's board so a run here stops at once. False: none running."""
    async with db.transaction() as session:
        await repo.get_project(session, project_id)
        running = await repo.active_version(session, project_id)
        if running is None:
            return False
        if running.stop_requested_at is None:
            running.stop_requested_at = repo.now()
    board.request_stop(project_id)
    return True


def settle_at_once(version: ApiVersion, summary: str, files_changed: int) -> None:
    """A version made from stored files (restore, fork) is complete as soon as it is stored."""
    version.status, version.completed_at = VersionStatus.COMPLETE, repo.now()
    version.summary, version.files_changed = summary, files_changed
    version.cost_usd = 0.0  # no model was asked


async def announce_at_once(log: EventLog, version: ApiVersion) -> None:
    """Versions made without a generation still reach live clients as a short event run."""
    emitter = VersionEmitter(
        log, project_id=version.project_id, version_number=version.version_number, coalesce_s=0
    )
    ids = emitter.ids
    await emitter.emit(VersionStart(**ids, version_id=version.id, prompt=version.prompt))
    carried = carried_validation(version)
    if carried is not None:
        await emitter.emit(ValidationComplete(**ids, **carried))
    await emitter.emit(
        VersionComplete(
            **ids,
            summary=version.summary,
            files_changed=version.files_changed,
            duration_ms=0,
            status=VersionStatus.COMPLETE,
            cost_usd=version.cost_usd,
        )
    )


def carried_validation(version: ApiVersion) -> dict[str, Any] | None:
    """A copy's carried-over report as ``validation:complete`` fields, or None (it has none)."""
    project_id, number = version.validated_as_project_id, version.validated_as_version
    if version.validation is None or project_id is None or number is None:
        return None
    stages: list[dict[str, Any]] = json.loads(version.validation)
    source = ValidatedAs(project_id=project_id, version_number=number)
    ok = all(bool(stage.get("ok")) for stage in stages)
    return {"ok": ok, "stages": stages, "validated_as": source}
