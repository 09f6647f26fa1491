"""The live preview: /preview/{project_id}/… is proxied to that project's sandboxed app, and
/api/projects/{id}/versions/{n}/preview reads or starts the preview of one stored version.

A project has at most one preview; starting another version's replaces it. Starting goes through
the preview manager, so its limits (how many run at once, idle reaping) hold as for previews
started after a generation.
"""

from __future__ import annotations

import json
from typing import Literal, cast

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from apiforge.errors import (
    ApiforgeError,
    ConflictError,
    GenerationRunning,
    InputError,
    NotFoundError,
    ValidationFailed,
)
from apiforge.events.types import Event, PreviewReady
from apiforge.sandbox.preview import preview_url
from apiforge.sandbox.shared_previews import SharedPreviews
from apiforge.server.errors import error_responses
from apiforge.server.inputs import VersionNumber
from apiforge.server.ownership import OwnedProjectId
from apiforge.server.state import AppServices, Services
from apiforge.store import repository as repo
from apiforge.store.models import ApiVersion
from apiforge.store.status import VersionStatus
from apiforge.versions import load_version_files

router = APIRouter()
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
PREVIEWS_OFF = (
    "Previews are off: this server does not run versions in a sandbox "
    "(APIFORGE_VALIDATOR=sandbox turns them on)"
)


class PreviewStatus(BaseModel):
    """The preview of one version, as ``GET``/``POST …/versions/{n}/preview`` answer it."""

    project_id: str
    version_number: int
    # running: answers at ``url``; starting: booting now; stopped: can be started;
    # unavailable: cannot be previewed (``reason`` says why).
    state: Literal["running", "starting", "stopped", "unavailable"]
    url: str | None = None
    # The version the project's preview serves right now (it may be another one), or None.
    serving_version: int | None = None
    reason: str | None = None
    # True while the version still streams: its app booted from the files written so far.
    partial: bool = False


class PreviewStartFailed(ApiforgeError):
    """The sandbox could not boot the version's app (502), or has no room right now (503)."""

    status_code = 502


class PathOutsidePreview(InputError):
    """A preview path with ``.`` or ``..`` segments (``%2e%2e`` included: the path arrives
    decoded), which a browser or proxy on the way could resolve outside ``/preview/{id}/``."""

    code = "path_outside_preview"
    status_code = 400


@router.api_route("/preview/{project_id}/{path:path}", methods=METHODS, include_in_schema=False)
async def preview(
    project_id: OwnedProjectId, path: str, request: Request, services: Services
) -> Response:
    if any(segment in (".", "..") for segment in path.replace("\\", "/").split("/")):
        raise PathOutsidePreview(f"The path {path[:200]!r} leaves the preview; it was not sent")
    if services.previews is None:
        raise NotFoundError(PREVIEWS_OFF)
    return await cast(SharedPreviews, services.previews).proxy(project_id, request, path)


@router.get(
    "/api/projects/{project_id}/versions/{number}/preview", responses=error_responses(404, 422)
)
async def preview_status(
    project_id: OwnedProjectId, number: VersionNumber, services: Services
) -> PreviewStatus:
    async with services.db.read() as session:
        version = await repo.get_version(session, project_id, number)
    return await _status_of(services, version)


@router.post(
    "/api/projects/{project_id}/versions/{number}/preview",
    responses=error_responses(404, 409, 422, 502, 503),
)
async def start_preview(
    project_id: OwnedProjectId, number: VersionNumber, services: Services
) -> PreviewStatus:
    """Start the version's preview, or reuse it when it already runs; answers once it serves."""
    manager = _manager(services)
    async with services.db.transaction() as session:
        version = await repo.get_version(session, project_id, number)
        _refuse_unpreviewable(version)
        files = await load_version_files(
            session, project_id=project_id, version_number=number, cache=services.runtime.cache
        )
    try:
        url, started = await manager.ensure(project_id, number, files)
    except ValidationFailed as error:
        raise _start_failure(error) from error
    if started:
        # Other open tabs learn which version the project's preview now serves.
        ready = PreviewReady(project_id=project_id, version_number=number, url=url)
        await services.log.append(cast(Event, ready))
    return await _status_of(services, version)


def _manager(services: AppServices) -> SharedPreviews:
    if services.previews is None:
        raise ConflictError(PREVIEWS_OFF, code="previews_off")
    return cast(SharedPreviews, services.previews)


def unpreviewable_reason(version: ApiVersion) -> str | None:
    """Why the version cannot be previewed, or None when it can."""
    n = version.version_number
    if version.status.active:
        return (
            f"Version {n} is still being generated; its preview starts as soon as the files "
            "written so far can boot"
        )
    if version.status == VersionStatus.COMPLETE:
        return None
    if version.status == VersionStatus.CANCELLED:
        return f"Version {n} was stopped before it was validated, so it has no preview"
    if _failed_validation(version):
        return f"Version {n} failed validation, so it cannot be previewed"
    return f"Version {n} failed ({version.error or 'no files'}), so it cannot be previewed"


def _failed_validation(version: ApiVersion) -> bool:
    stages = json.loads(version.validation) if version.validation else []
    return any(isinstance(stage, dict) and stage.get("ok") is False for stage in stages)


def _refuse_unpreviewable(version: ApiVersion) -> None:
    reason = unpreviewable_reason(version)
    if reason is None:
        return
    if version.status.active:
        raise GenerationRunning(reason)
    raise ConflictError(reason, code="not_previewable")


def _start_failure(error: ValidationFailed) -> ApiforgeError:
    if error.code == "sandbox_unavailable":
        return ConflictError(error.message, code=error.code)
    failure = PreviewStartFailed(error.message, code=error.code, retryable=error.retryable)
    if error.code in ("preview_busy", "preview_closed"):
        failure.status_code = 503
    return failure


async def _status_of(services: AppServices, version: ApiVersion) -> PreviewStatus:
    n, project_id = version.version_number, version.project_id
    status = PreviewStatus(project_id=project_id, version_number=n, state="stopped")
    if services.previews is None:
        return status.model_copy(update={"state": "unavailable", "reason": PREVIEWS_OFF})
    manager = cast(SharedPreviews, services.previews)
    serving = await manager.serving_preview(project_id)
    status.serving_version = None if serving is None else serving[0]
    if serving == (n, True):
        if version.status.active:
            status.state, status.url, status.partial = "running", preview_url(project_id), True
        else:  # the version just ended: its full preview is replacing this one
            status.state = "starting"
        return status
    reason = unpreviewable_reason(version)
    if reason is not None:
        status.state, status.reason = "unavailable", reason
    elif status.serving_version == n:
        status.state, status.url = "running", preview_url(project_id)
    elif manager.starting(project_id) == n:
        status.state = "starting"
    return status
