"""Version history operations: single files, diff, restore, regenerate, fork, ZIP, git bundle."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse

from apiforge.api_models import (
    OneVersion,
    ProjectAndVersion,
    ProjectSummary,
    Version,
    VersionDiff,
)
from apiforge.errors import ConflictError, NotFoundError
from apiforge.server.errors import error_responses
from apiforge.server.inputs import AgainstNumber, VersionNumber
from apiforge.server.ownership import OwnedProjectId
from apiforge.server.state import Services
from apiforge.store import repository as repo
from apiforge.versions import (
    archive_root_name,
    build_history_bundle,
    build_zip,
    diff_versions,
    load_version_files,
)

router = APIRouter(prefix="/api/projects/{project_id}")


NOT_FOUND = error_responses(404, 422)
# A new version is refused while a generation of the project runs (409).
BUSY = error_responses(404, 409, 422)


def _download(media_type: str, description: str, *errors: int) -> dict[int | str, dict[str, Any]]:
    content = {media_type: {"schema": {"type": "string", "format": "binary"}}}
    return {200: {"content": content, "description": description}, **error_responses(*errors)}


@router.get(
    "/versions/{number}/files/{path:path}",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "The file"},
        **NOT_FOUND,
    },
)
async def version_file(
    project_id: OwnedProjectId, number: VersionNumber, path: str, services: Services
) -> Response:
    async with services.db.read() as session:
        files = await load_version_files(
            session, project_id=project_id, version_number=number, cache=services.runtime.cache
        )
    if path not in files:
        raise NotFoundError(f"Version {number} has no file {path!r}")
    return Response(files[path], media_type="text/plain; charset=utf-8")


@router.get("/versions/{number}/diff", responses=NOT_FOUND)
async def diff(
    project_id: OwnedProjectId,
    number: VersionNumber,
    services: Services,
    against: AgainstNumber = None,
) -> VersionDiff:
    async with services.db.read() as session:
        result = await diff_versions(
            session,
            project_id=project_id,
            version_number=number,
            against=against,
            cache=services.runtime.cache,
        )
    return VersionDiff.model_validate(result, from_attributes=True)


@router.post("/versions/{number}/restore", status_code=201, responses=BUSY)
async def restore(
    project_id: OwnedProjectId, number: VersionNumber, services: Services
) -> OneVersion:
    version = await services.generations.restore(project_id, number)
    return OneVersion(version=Version.of(version))


@router.post("/versions/{number}/regenerate", status_code=202, responses=BUSY)
async def regenerate(
    project_id: OwnedProjectId, number: VersionNumber, services: Services
) -> OneVersion:
    async with services.db.read() as session:
        source = await repo.get_version(session, project_id, number)
    version = await services.generations.iterate(
        project_id, source.prompt, origin="regenerate", base_version_number=number - 1
    )
    return OneVersion(version=Version.of(version))


@router.post("/versions/{number}/fork", status_code=201, responses=BUSY)
async def fork(
    project_id: OwnedProjectId, number: VersionNumber, services: Services
) -> ProjectAndVersion:
    project, version = await services.generations.fork(project_id, number)
    return ProjectAndVersion(
        project=ProjectSummary.of(project, version), version=Version.of(version)
    )


@router.get(
    "/versions/{number}/archive.zip",
    response_class=Response,
    responses=_download("application/zip", "The version's files as a ZIP", 404, 422),
)
async def archive(
    project_id: OwnedProjectId, number: VersionNumber, services: Services
) -> Response:
    async with services.db.read() as session:
        project = await repo.get_project(session, project_id)
        await repo.get_version(session, project_id, number)
        files = await load_version_files(
            session, project_id=project_id, version_number=number, cache=services.runtime.cache
        )
    root = archive_root_name(project.name, number)
    headers = {"Content-Disposition": f'attachment; filename="{root}.zip"'}
    return Response(build_zip(files, root=root), media_type="application/zip", headers=headers)


@router.get(
    "/history.bundle",
    response_class=Response,
    responses=_download("application/octet-stream", "The history as a git bundle", 404, 409, 503),
)
async def history_bundle(project_id: OwnedProjectId, services: Services) -> Response:
    with tempfile.TemporaryDirectory(prefix="apiforge-bundle-") as scratch:
        destination = Path(scratch) / "history.bundle"
        async with services.db.read() as session:
            await repo.get_project(session, project_id)
            try:
                await build_history_bundle(
                    session,
                    project_id=project_id,
                    destination=destination,
                    cache=services.runtime.cache,
                )
            except NotFoundError as empty:
                # The project exists; it has nothing to export yet: a conflict with its state.
                raise ConflictError(empty.message, code="no_completed_version") from empty
        content = destination.read_bytes()
    headers = {"Content-Disposition": f'attachment; filename="{project_id}.bundle"'}
    return Response(content, media_type="application/octet-stream", headers=headers)
