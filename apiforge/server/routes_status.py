"""``GET /api/projects/{id}/stream-status``: who is watching a project, and what it is doing.

Cheap enough to poll: a few indexed reads (the latest version, its newest step event, the
newest seq) and, with the redis bus, one Redis read, never the generation's whole event log.
"""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter

from apiforge.api_models import GenerationState, ProjectPreview, StreamStatus
from apiforge.events.types import StepProgress, StepStart, ValidationProgress
from apiforge.sandbox.preview import preview_url
from apiforge.sandbox.shared_previews import SharedPreviews
from apiforge.server.errors import error_responses
from apiforge.server.ownership import OwnedProjectId
from apiforge.server.routes_preview import PREVIEWS_OFF
from apiforge.server.state import AppServices, Services
from apiforge.store import repository as repo
from apiforge.store.status import VersionStatus

router = APIRouter(prefix="/api/projects/{project_id}")

# The events that say where a generation stands (step and progress bar).
PROGRESS_TYPES = frozenset({"step:start", "step:progress", "validation:progress"})


@router.get("/stream-status", responses=error_responses(404))
async def stream_status(project_id: OwnedProjectId, services: Services) -> StreamStatus:
    return StreamStatus(
        project_id=project_id,
        connections=services.connections.local(project_id),
        connections_total=await services.connections.total(project_id),
        generation=await _generation(services, project_id),
        last_seq=await services.log.last_seq(project_id),
        preview=await _preview(services, project_id),
    )


async def _generation(services: AppServices, project_id: str) -> GenerationState:
    async with services.db.read() as session:
        version = await repo.latest_version(session, project_id)
    if version is None:
        return GenerationState(state="idle")
    n = version.version_number
    state = GenerationState(
        state="running" if version.status.active else "idle",
        version_number=n,
        version_id=version.id,
        status=version.status,
    )
    event = await services.log.latest_of(project_id, n, PROGRESS_TYPES)
    if isinstance(event, StepStart | StepProgress):
        state.step, state.progress = event.step, event.progress
    elif isinstance(event, ValidationProgress):
        state.step, state.progress = "validating", event.progress
    if version.status == VersionStatus.COMPLETE:
        # The complete step's own events carry no progress: a finished version is at 100.
        state.step, state.progress = "complete", 100
    return state


async def _preview(services: AppServices, project_id: str) -> ProjectPreview:
    if services.previews is None:
        return ProjectPreview(state="unavailable", reason=PREVIEWS_OFF)
    manager = cast(SharedPreviews, services.previews)
    found = await manager.serving_preview(project_id)
    if found is not None:
        serving, partial = found
        url = preview_url(project_id)
        return ProjectPreview(state="running", serving_version=serving, url=url, partial=partial)
    if manager.starting(project_id) is not None:
        return ProjectPreview(state="starting")
    return ProjectPreview(state="stopped")
