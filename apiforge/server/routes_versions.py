"""Version history operations: single files, diff, restore, regenerate, fork, ZIP, git bundle."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse

from apiforge.errors import ConflictError, NotFoundError
from apiforge.events.types import VersionComplete, VersionStart
from apiforge.generation.emitter import VersionEmitter
from apiforge.server.errors import error_responses
from apiforge.server.inputs import AgainstNumber, VersionNumber
from apiforge.server.schemas import OneVersion, ProjectAndVersion, ProjectSummary, Version
from apiforge.server.state import AppServices, Services
from apiforge.store import repository as repo
from apiforge.store.models import ApiVersion
from apiforge.versions import (
    VersionDiff,
    archive_root_name,
    build_history_bundle,
    build_zip,
    copy_chat_history,
    diff_versions,
    load_version_files,
    store_forked_files,
    store_restored_files,
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
    project_id: str, number: VersionNumber, path: str, services: Services
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
    project_id: str, number: VersionNumber, services: Services, against: AgainstNumber = None
) -> VersionDiff:
    async with services.db.read() as session:
        result = await diff_versions(
            session,
            project_id=project_id,
            version_number=number,
            against=against,
            cache=services.runtime.cache,
        )
    return result


async def _announce(services: AppServices, version: ApiVersion, summary: str, changed: int) -> None:
    """Versions made without a generation still reach live clients as a short event run."""
    emitter = VersionEmitter(
        services.log,
        project_id=version.project_id,
        version_number=version.version_number,
        coalesce_s=0,
    )
    await emitter.emit(VersionStart, version_id=version.id, prompt=version.prompt)
    await emitter.emit(
        VersionComplete, summary=summary, files_changed=changed, duration_ms=0, status="complete"
    )


def _refuse_unfinished(version: ApiVersion) -> None:
    if version.status in repo.ACTIVE_STATUSES:
        raise ConflictError(
            f"Version {version.version_number} is still being generated",
            code="generation_running",
        )


@router.post("/versions/{number}/restore", status_code=201, responses=BUSY)
async def restore(project_id: str, number: VersionNumber, services: Services) -> OneVersion:
    summary = f"Restored v{number}"
    async with services.db.transaction() as session:
        project = await repo.get_project(session, project_id)
        source = await repo.get_version(session, project_id, number)
        await repo.ensure_idle(session, project_id)
        version = await repo.create_version(
            session, project=project, prompt=f"Restore v{number}", origin="restore"
        )
        changed = await store_restored_files(
            session,
            project_id=project_id,
            source_number=source.version_number,
            version_id=version.id,
            version_number=version.version_number,
            cache=services.runtime.cache,
        )
        version.status, version.summary, version.completed_at = "complete", summary, repo.now()
        version.openapi = source.openapi  # same files, same API
        version.files_changed = changed
        text = f"Restored the files of v{number} as v{version.version_number}."
        await repo.add_message(
            session, project_id=project_id, role="system", content=text, version=version
        )
    await _announce(services, version, summary, changed)
    return OneVersion(version=Version.of(version))


@router.post("/versions/{number}/regenerate", status_code=202, responses=BUSY)
async def regenerate(project_id: str, number: VersionNumber, services: Services) -> OneVersion:
    async with services.db.read() as session:
        source = await repo.get_version(session, project_id, number)
    version = await services.generations.iterate(
        project_id, source.prompt, origin="regenerate", base_version_number=number - 1
    )
    return OneVersion(version=Version.of(version))


@router.post("/versions/{number}/fork", status_code=201, responses=BUSY)
async def fork(project_id: str, number: VersionNumber, services: Services) -> ProjectAndVersion:
    async with services.db.transaction() as session:
        source_project = await repo.get_project(session, project_id)
        source = await repo.get_version(session, project_id, number)
        _refuse_unfinished(source)
        project = await repo.create_project(
            session,
            name=f"{source_project.name} (fork of v{number})"[:200],
            owner_id=source_project.owner_id,
        )
        version = await repo.create_version(
            session, project=project, prompt=source.prompt, origin="fork"
        )
        version.openapi = source.openapi
        changed = await store_forked_files(
            session,
            source_project_id=project_id,
            source_number=number,
            project_id=project.id,
            version_id=version.id,
            cache=services.runtime.cache,
        )
        await copy_chat_history(
            session,
            source_project_id=project_id,
            up_to_version=number,
            project_id=project.id,
            version_id=version.id,
        )
        version.status, version.completed_at, version.files_changed = (
            "complete",
            repo.now(),
            changed,
        )
        version.summary = f"Forked from v{number} of {source_project.name}"
    await _announce(services, version, version.summary, changed)
    return ProjectAndVersion(
        project=ProjectSummary.of(project, version), version=Version.of(version)
    )


@router.get(
    "/versions/{number}/archive.zip",
    response_class=Response,
    responses=_download("application/zip", "The version's files as a ZIP", 404, 422),
)
async def archive(project_id: str, number: VersionNumber, services: Services) -> Response:
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
async def history_bundle(project_id: str, services: Services) -> Response:
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
