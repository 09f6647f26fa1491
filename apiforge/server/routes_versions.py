"""Version history operations: single files, diff, restore, regenerate, fork, ZIP, git bundle."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Response

from apiforge.errors import NotFoundError
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


@router.get("/versions/{number}/files/{path:path}")
async def version_file(project_id: str, number: int, path: str, services: Services) -> Response:
    async with services.db.read() as session:
        files = await load_version_files(
            session, project_id=project_id, version_number=number, cache=services.runtime.cache
        )
    if path not in files:
        raise NotFoundError(f"Version {number} has no file {path!r}")
    return Response(files[path], media_type="text/plain; charset=utf-8")


@router.get("/versions/{number}/diff")
async def diff(
    project_id: str, number: int, services: Services, against: int | None = Query(default=None)
) -> dict[str, Any]:
    async with services.db.read() as session:
        result = await diff_versions(
            session,
            project_id=project_id,
            version_number=number,
            against=against,
            cache=services.runtime.cache,
        )
    return asdict(result)


@router.post("/versions/{number}/restore", status_code=201)
async def restore(project_id: str, number: int, services: Services) -> dict[str, Any]:
    version = await services.generations.restore(project_id, number)
    return {"version": repo.version_dict(version)}


@router.post("/versions/{number}/regenerate", status_code=202)
async def regenerate(project_id: str, number: int, services: Services) -> dict[str, Any]:
    async with services.db.read() as session:
        source = await repo.get_version(session, project_id, number)
    version = await services.generations.iterate(
        project_id, source.prompt, origin="regenerate", base_version_number=number - 1
    )
    return {"version": repo.version_dict(version)}


@router.post("/versions/{number}/fork", status_code=201)
async def fork(project_id: str, number: int, services: Services) -> dict[str, Any]:
    project, version = await services.generations.fork(project_id, number)
    return {"project": repo.project_dict(project, version), "version": repo.version_dict(version)}


@router.get("/versions/{number}/archive.zip")
async def archive(project_id: str, number: int, services: Services) -> Response:
    async with services.db.read() as session:
        project = await repo.get_project(session, project_id)
        await repo.get_version(session, project_id, number)
        files = await load_version_files(
            session, project_id=project_id, version_number=number, cache=services.runtime.cache
        )
    root = archive_root_name(project.name, number)
    headers = {"Content-Disposition": f'attachment; filename="{root}.zip"'}
    return Response(build_zip(files, root=root), media_type="application/zip", headers=headers)


@router.get("/history.bundle")
async def history_bundle(project_id: str, services: Services) -> Response:
    with tempfile.TemporaryDirectory(prefix="apiforge-bundle-") as scratch:
        destination = Path(scratch) / "history.bundle"
        async with services.db.read() as session:
            await repo.get_project(session, project_id)
            await build_history_bundle(
                session,
                project_id=project_id,
                destination=destination,
                cache=services.runtime.cache,
            )
        content = destination.read_bytes()
    headers = {"Content-Disposition": f'attachment; filename="{project_id}.bundle"'}
    return Response(content, media_type="application/octet-stream", headers=headers)
