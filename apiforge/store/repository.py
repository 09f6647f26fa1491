"""Reading and writing projects, versions and chat messages. Keyword-only, session-scoped."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from apiforge.errors import GenerationRunning, NotFoundError
from apiforge.store.models import ApiVersion, ChatMessage, Project
from apiforge.store.status import ACTIVE_STATUSES

LOCAL_OWNER = "local"


def now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat()


def version_dict(version: ApiVersion) -> dict[str, Any]:
    return {
        "id": version.id,
        "project_id": version.project_id,
        "number": version.version_number,
        "prompt": version.prompt,
        "summary": version.summary,
        "status": version.status,
        "created_at": _iso(version.created_at),
        "completed_at": _iso(version.completed_at),
        "files_changed": version.files_changed,
        "error": version.error,
        "usage": {
            "prompt_tokens": version.prompt_tokens,
            "completion_tokens": version.completion_tokens,
        },
        "cost_usd": version.cost_usd,
        "provider": version.provider,
        "validation": json.loads(version.validation) if version.validation else None,
        "validated_as": _validated_as(version),
        "origin": version.origin,
        "base_version_number": version.base_version_number,
    }


def _validated_as(version: ApiVersion) -> dict[str, Any] | None:
    if version.validated_as_project_id is None or version.validated_as_version is None:
        return None
    return {
        "project_id": version.validated_as_project_id,
        "version_number": version.validated_as_version,
    }


def project_dict(project: Project, latest: ApiVersion | None) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "owner_id": project.owner_id,
        "created_at": _iso(project.created_at),
        "updated_at": _iso(project.updated_at),
        "latest_version": version_dict(latest) if latest else None,
    }


def message_dict(message: ChatMessage) -> dict[str, Any]:
    return {
        "role": message.role,
        "content": message.content,
        "version_number": message.version_number,
        "created_at": _iso(message.created_at),
    }


async def create_project(session: AsyncSession, *, name: str, owner_id: str) -> Project:
    stamp = now()
    project = Project(
        id=new_id(),
        owner_id=owner_id,
        name=name,
        created_at=stamp,
        updated_at=stamp,
        seq_reserved=0,
        events_trimmed_through=0,
    )
    session.add(project)
    await session.flush()
    return project


async def get_project(session: AsyncSession, project_id: str) -> Project:
    project = await session.get(Project, project_id)
    if project is None:
        raise NotFoundError(f"No project with id {project_id!r}")
    return project


async def get_owned_project(session: AsyncSession, project_id: str, *, owner_id: str) -> Project:
    """The project, if ``owner_id`` owns it. Another owner's project is "not found", word for
    word as a missing one: an id alone must not confirm that a project exists."""
    project = await session.get(Project, project_id)
    if project is None or project.owner_id != owner_id:
        raise NotFoundError(f"No project with id {project_id!r}")
    return project


async def list_projects_with_latest(
    session: AsyncSession, *, owner_id: str
) -> list[tuple[Project, ApiVersion | None]]:
    """The owner's projects, newest first, each with its latest version: one query in all."""
    latest = (
        select(ApiVersion.project_id, func.max(ApiVersion.version_number).label("number"))
        .group_by(ApiVersion.project_id)
        .subquery()
    )
    rows = await session.execute(
        select(Project, ApiVersion)
        .outerjoin(latest, latest.c.project_id == Project.id)
        .outerjoin(
            ApiVersion,
            (ApiVersion.project_id == Project.id) & (ApiVersion.version_number == latest.c.number),
        )
        .where(Project.owner_id == owner_id)
        .order_by(Project.updated_at.desc())
    )
    return [(row[0], row[1]) for row in rows]


async def create_version(
    session: AsyncSession,
    *,
    project: Project,
    prompt: str,
    origin: str = "prompt",
    base_version_number: int | None = None,
) -> ApiVersion:
    highest = await session.execute(
        select(func.max(ApiVersion.version_number)).where(ApiVersion.project_id == project.id)
    )
    stamp = now()
    version = ApiVersion(
        id=new_id(),
        project_id=project.id,
        version_number=(highest.scalar_one_or_none() or 0) + 1,
        prompt=prompt,
        summary="",
        created_at=stamp,
        files_changed=0,
        prompt_tokens=0,
        completion_tokens=0,
        provider="",
        origin=origin,
        base_version_number=base_version_number,
    )
    session.add(version)
    project.updated_at = stamp
    await session.flush()
    return version


async def get_version(
    session: AsyncSession, project_id: str, number: int, *, lock: bool = False
) -> ApiVersion:
    """``lock``: hold the row until the transaction ends (PostgreSQL; SQLite has one writer),
    so a concurrent change made after a check on it waits and then sees this one's."""
    query = select(ApiVersion).where(
        ApiVersion.project_id == project_id, ApiVersion.version_number == number
    )
    if lock:
        query = query.with_for_update()
    version = (await session.execute(query)).scalar_one_or_none()
    if version is None:
        raise NotFoundError(f"Project {project_id!r} has no version {number}")
    return version


async def list_versions(session: AsyncSession, project_id: str) -> list[ApiVersion]:
    rows = await session.execute(
        select(ApiVersion)
        .where(ApiVersion.project_id == project_id)
        .order_by(ApiVersion.version_number)
    )
    return list(rows.scalars())


async def latest_version(session: AsyncSession, project_id: str) -> ApiVersion | None:
    rows = await session.execute(
        select(ApiVersion)
        .where(ApiVersion.project_id == project_id)
        .order_by(ApiVersion.version_number.desc())
        .limit(1)
    )
    return rows.scalar_one_or_none()


async def active_version(session: AsyncSession, project_id: str) -> ApiVersion | None:
    rows = await session.execute(
        select(ApiVersion).where(
            ApiVersion.project_id == project_id, ApiVersion.status.in_(ACTIVE_STATUSES)
        )
    )
    return rows.scalars().first()


async def ensure_idle(session: AsyncSession, project_id: str) -> None:
    """Refuse while a generation of the project runs. Inside a writing transaction (which holds
    the write lock) no generation can start between this check and the caller's new version."""
    running = await active_version(session, project_id)
    if running is not None:
        raise GenerationRunning(
            f"Version {running.version_number} is still being generated; "
            "wait for it or cancel it first"
        )


async def all_active_versions(session: AsyncSession) -> list[ApiVersion]:
    rows = await session.execute(select(ApiVersion).where(ApiVersion.status.in_(ACTIVE_STATUSES)))
    return list(rows.scalars())


async def add_message(
    session: AsyncSession,
    *,
    project_id: str,
    role: str,
    content: str,
    version: ApiVersion | None = None,
) -> ChatMessage:
    message = ChatMessage(
        project_id=project_id,
        version_id=version.id if version else None,
        version_number=version.version_number if version else None,
        role=role,
        content=content,
        created_at=now(),
    )
    session.add(message)
    await session.flush()
    return message


async def list_messages(session: AsyncSession, project_id: str) -> list[ChatMessage]:
    rows = await session.execute(
        select(ChatMessage).where(ChatMessage.project_id == project_id).order_by(ChatMessage.id)
    )
    return list(rows.scalars())


async def count_active_versions_of_owner(session: AsyncSession, *, owner_id: str) -> int:
    """How many versions of the owner's projects are being generated right now."""
    rows = await session.execute(
        select(func.count())
        .select_from(ApiVersion)
        .join(Project, Project.id == ApiVersion.project_id)
        .where(Project.owner_id == owner_id, ApiVersion.status.in_(ACTIVE_STATUSES))
    )
    return int(rows.scalar_one())


async def versions_created_since(
    session: AsyncSession, *, project_id: str, since: datetime
) -> tuple[int, datetime | None]:
    """How many versions of the project were created after ``since``, and the oldest of them."""
    rows = await session.execute(
        select(func.count(), func.min(ApiVersion.created_at)).where(
            ApiVersion.project_id == project_id, ApiVersion.created_at > since
        )
    )
    count, oldest = rows.one()
    return int(count), oldest
