"""Projects, versions, files, chat and cancel: the JSON API."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response

from apiforge.api_models import (
    Cancelled,
    Health,
    Message,
    MessageList,
    OneVersion,
    ProjectAndVersion,
    ProjectDetail,
    ProjectList,
    ProjectSummary,
    ProjectUsage,
    Version,
    VersionFiles,
    VersionList,
)
from apiforge.auth.principal import CurrentPrincipal
from apiforge.events.feed import announce_deletion
from apiforge.server.errors import error_responses
from apiforge.server.inputs import (
    CreateProjectBody,
    PromptBody,
    VersionNumber,
    check_prompt_length,
)
from apiforge.server.ownership import OwnedProjectId
from apiforge.server.state import AppServices, Services
from apiforge.store import repository as repo
from apiforge.versions import load_version_files

router = APIRouter(prefix="/api")
# A prompt route refuses malformed JSON (400), an unknown project (404), a running generation
# (409) and a prompt the rules refuse (422).
PROMPT_ERRORS = error_responses(400, 404, 409, 422)


@router.get("/health")
async def health(services: Services) -> Health:
    runtime = services.runtime
    return Health(
        status="ok",
        provider=runtime.provider.label,
        validator=runtime.validator.name,
        subscribers=services.bus.subscriber_count(),
        max_prompt_chars=runtime.settings.max_prompt_chars,
        auth=runtime.settings.auth,
    )


@router.post("/projects", status_code=201, responses=error_responses(400, 422))
async def create_project(
    body: CreateProjectBody, principal: CurrentPrincipal, services: Services
) -> ProjectAndVersion:
    check_prompt_length(body.prompt, services.settings.max_prompt_chars)
    project, version = await services.generations.create_project(
        body.prompt, body.name, owner_id=principal.user_id
    )
    return ProjectAndVersion(
        project=ProjectSummary.of(project, version), version=Version.of(version)
    )


@router.get("/projects")
async def list_projects(principal: CurrentPrincipal, services: Services) -> ProjectList:
    async with services.db.read() as session:
        rows = await repo.list_projects_with_latest(session, owner_id=principal.user_id)
    return ProjectList(projects=[ProjectSummary.of(p, latest) for p, latest in rows])


@router.get("/projects/{project_id}", responses=error_responses(404))
async def get_project(project_id: OwnedProjectId, services: Services) -> ProjectDetail:
    async with services.db.read() as session:
        project = await repo.get_project(session, project_id)
        versions = await repo.list_versions(session, project_id)
    latest = versions[-1] if versions else None
    shown = [Version.of(v) for v in versions]
    return ProjectDetail(
        project=ProjectSummary.of(project, latest), versions=shown, usage=ProjectUsage.of(shown)
    )


@router.delete("/projects/{project_id}", status_code=204, responses=error_responses(404))
async def delete_project(project_id: OwnedProjectId, services: Services) -> Response:
    if await services.generations.cancel(project_id):
        await _wait_until_idle(services, project_id)
    async with services.db.transaction() as session:
        project = await repo.get_project(session, project_id)
        await session.delete(project)
    services.log.forget(project_id)
    announce_deletion(services.bus, project_id)
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


@router.post("/projects/{project_id}/versions", status_code=202, responses=PROMPT_ERRORS)
async def create_version(
    project_id: OwnedProjectId, body: PromptBody, services: Services
) -> OneVersion:
    check_prompt_length(body.prompt, services.settings.max_prompt_chars)
    version = await services.generations.iterate(project_id, body.prompt)
    return OneVersion(version=Version.of(version))


@router.get("/projects/{project_id}/versions", responses=error_responses(404))
async def list_versions(project_id: OwnedProjectId, services: Services) -> VersionList:
    async with services.db.read() as session:
        await repo.get_project(session, project_id)
        versions = await repo.list_versions(session, project_id)
    return VersionList(versions=[Version.of(v) for v in versions])


@router.get("/projects/{project_id}/versions/{number}", responses=error_responses(404, 422))
async def get_version(
    project_id: OwnedProjectId, number: VersionNumber, services: Services
) -> OneVersion:
    async with services.db.read() as session:
        version = await repo.get_version(session, project_id, number)
    return OneVersion(version=Version.of(version))


@router.get("/projects/{project_id}/versions/{number}/files", responses=error_responses(404, 422))
async def version_files(
    project_id: OwnedProjectId, number: VersionNumber, services: Services
) -> VersionFiles:
    async with services.db.read() as session:
        await repo.get_version(session, project_id, number)
        files = await load_version_files(
            session, project_id=project_id, version_number=number, cache=services.runtime.cache
        )
    return VersionFiles(files=dict(sorted(files.items())))


@router.post("/projects/{project_id}/cancel", responses=error_responses(404))
async def cancel(project_id: OwnedProjectId, services: Services) -> Cancelled:
    return Cancelled(cancelled=await services.generations.cancel(project_id))


@router.get("/projects/{project_id}/messages", responses=error_responses(404))
async def messages(project_id: OwnedProjectId, services: Services) -> MessageList:
    async with services.db.read() as session:
        await repo.get_project(session, project_id)
        rows = await repo.list_messages(session, project_id)
    return MessageList(messages=[Message.of(m) for m in rows])
