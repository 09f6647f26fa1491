"""What a running generation needs, gathered in one object owned by the app lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from apiforge.events.log import EventLog
from apiforge.generation.plumbing.emitter import VersionEmitter
from apiforge.generation.plumbing.workflow_tasks import WorkflowTasks
from apiforge.generation.version_run import RunBoard, VersionRun
from apiforge.metrics import Metrics
from apiforge.providers.base import Provider
from apiforge.sandbox.base import Validator
from apiforge.sandbox.preview import PartialServing
from apiforge.settings import Settings
from apiforge.store.db import Database
from apiforge.versions.cache import VersionCache


class PreviewStarter(Protocol):
    async def start(
        self,
        project_id: str,
        version_number: int,
        files: dict[str, str],
        *,
        partial: bool = False,
    ) -> str: ...

    async def stop(self, project_id: str) -> None: ...

    async def stop_partial(self, project_id: str, version_number: int) -> None: ...

    def partial_serving(self, project_id: str, version_number: int) -> PartialServing | None: ...


@dataclass
class GenerationRuntime:
    settings: Settings
    db: Database
    log: EventLog
    provider: Provider
    validator: Validator
    cache: VersionCache
    previews: PreviewStarter | None = None
    # Running versions' live state and stop requests; changed only through VersionRun.
    runs: RunBoard = field(default_factory=RunBoard)
    # The tasks DBOS runs this process's generation workflows in; ended by the lifespan.
    workflow_tasks: WorkflowTasks = field(default_factory=WorkflowTasks)
    # This app's metrics (VersionRun counts generations and steps into them).
    metrics: Metrics = field(default_factory=Metrics)

    @property
    def coalesce_s(self) -> float:
        return self.settings.chunk_coalesce_ms / 1000

    def emitter(self, project_id: str, version_number: int) -> VersionEmitter:
        return VersionEmitter(
            self.log,
            project_id=project_id,
            version_number=version_number,
            coalesce_s=self.coalesce_s,
        )

    def run_of(self, emitter: VersionEmitter) -> VersionRun:
        """The version ``emitter`` belongs to, as one step sees it."""
        return VersionRun(self.db, self.runs, emitter, self.metrics)
