"""Projects, versions, files, chat and cancel: the JSON API."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from apiforge.server.state import AppServices, Services
from apiforge.store import repository as repo
from apiforge.versions import load_version_files

router = APIRouter(prefix="/api")


class CreateProjectBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    prompt: str
    name: str | None = Field(default=None, max_length=200)


class PromptBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    prompt: str


class Health(BaseModel):
    status: str
    provider: str
    validator: str
    # Open live connections: lets operators (and tests) see that closed ones are gone.
    subscribers: int
    # The longest prompt accepted, so the UI can count against it before sending.
    max_prompt_chars: int


@router.get("/health")
async def health(services: Services) -> Health:
    runtime = services.runtime
    return Health(
        status="ok",
        provider=runtime.provider.label,
        validator=runtime.validator.name,
        subscribers=services.bus.subscriber_count(),
        max_prompt_chars=runtime.settings.max_prompt_chars,
    )


@router.post("/projects", status_code=201)
async def create_project(body: CreateProjectBody, services: Services) -> dict[str, Any]:
    project, version = await services.generations.create_project(body.prompt, body.name)
    return {"project": repo.project_dict(project, version), "version": repo.version_dict(version)}


@router.get("/projects")
async def list_projects(services: Services) -> dict[str, Any]:
    async with services.db.read() as session:
        projects = await repo.list_projects(session, owner_id=repo.LOCAL_OWNER)
        items = [repo.project_dict(p, await repo.latest_version(session, p.id)) for p in projects]
    return {"projects": items}


@router.get("/projects/{project_id}")
async def get_project(project_id: str, services: Services) -> dict[str, Any]:
    async with services.db.read() as session:
        project = await repo.get_project(session, project_id)
        versions = await repo.list_versions(session, project_id)
    latest = versions[-1] if versions else None
    return {
        "project": repo.project_dict(project, latest),
        "versions": [repo.version_dict(v) for v in versions],
    }


@router.delete("/projects/{project_id}", status_code=204)
async def delete_project(project_id: str, services: Services) -> Response:
    if await services.generations.cancel(project_id):
        await _wait_until_idle(services, project_id)
    async with services.db.transaction() as session:
        project = await repo.get_project(session, project_id)
        await session.delete(project)
    services.log.forget(project_id)
    services.runtime.cache.invalidate_project(project_id)
    if services.previews is not None:
        await services.previews.stop(project_id)
    return Response(status_code=204)


async def _wait_until_idle(services: AppServices, project_id: str, limit_s: float = 10) -> None:
    for _ in range(int(limit_s / 0.05)):
        async with services.db.read() as session:
            if await repo.active_version(session, project_id) is None:
                return
        await asyncio.sleep(0.05)


@router.post("/projects/{project_id}/versions", status_code=202)
async def create_version(project_id: str, body: PromptBody, services: Services) -> dict[str, Any]:
    version = await services.generations.iterate(project_id, body.prompt)
    return {"version": repo.version_dict(version)}


@router.get("/projects/{project_id}/versions")
async def list_versions(project_id: str, services: Services) -> dict[str, Any]:
    async with services.db.read() as session:
        await repo.get_project(session, project_id)
        versions = await repo.list_versions(session, project_id)
    return {"versions": [repo.version_dict(v) for v in versions]}


@router.get("/projects/{project_id}/versions/{number}")
async def get_version(project_id: str, number: int, services: Services) -> dict[str, Any]:
    async with services.db.read() as session:
        version = await repo.get_version(session, project_id, number)
    return {"version": repo.version_dict(version)}


@router.get("/projects/{project_id}/versions/{number}/files")
async def version_files(project_id: str, number: int, services: Services) -> dict[str, Any]:
    async with services.db.read() as session:
        await repo.get_version(session, project_id, number)
        files = await load_version_files(
            session, project_id=project_id, version_number=number, cache=services.runtime.cache
        )
    return {"files": dict(sorted(files.items()))}


@router.post("/projects/{project_id}/cancel")
async def cancel(project_id: str, services: Services) -> dict[str, Any]:
    return {"cancelled": await services.generations.cancel(project_id)}


@router.get("/projects/{project_id}/messages")
async def messages(project_id: str, services: Services) -> dict[str, Any]:
    async with services.db.read() as session:
        await repo.get_project(session, project_id)
        rows = await repo.list_messages(session, project_id)
    return {"messages": [repo.message_dict(m) for m in rows]}
