"""Versions made from other versions: restore, fork, and the comparison of two versions.

These write only ``version_files`` and ``chat_messages`` rows; the caller creates the new
``api_versions`` / ``projects`` rows (status, prompt, origin, timestamps) in the same transaction,
before calling, and invalidates nothing: adding a version never changes a cached one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from apiforge.store.models import ApiVersion, ChatMessage
from apiforge.versions.cache import VersionCache
from apiforge.versions.compare import (
    FileChange,
    RouteChanges,
    changed_routes,
    compare_files,
    openapi_from_files,
)
from apiforge.versions.history import DEFAULT_MAX_CHAIN, store_version_files
from apiforge.versions.reconstruct import load_version_files

OpenApiLoader = Callable[[Mapping[str, str]], Mapping[str, Any] | None]


@dataclass(frozen=True)
class VersionDiff:
    project_id: str
    version_number: int
    against: int | None  # None: compared with an empty project (the first version)
    files: list[FileChange]
    # None unless both versions have an OpenAPI document.
    routes: RouteChanges | None


async def store_restored_files(
    session: AsyncSession,
    *,
    project_id: str,
    source_number: int,
    version_id: str,
    version_number: int,
    cache: VersionCache | None = None,
    max_chain: int = DEFAULT_MAX_CHAIN,
) -> int:
    """Make version ``version_number`` (already inserted, id ``version_id``) hold exactly the files
    of version ``source_number``; return rows written (= files changed by the restore)."""
    files = await load_version_files(
        session, project_id=project_id, version_number=source_number, cache=cache
    )
    return await store_version_files(
        session,
        version_id=version_id,
        project_id=project_id,
        version_number=version_number,
        files=files,
        max_chain=max_chain,
        cache=cache,
    )


async def store_forked_files(
    session: AsyncSession,
    *,
    source_project_id: str,
    source_number: int,
    project_id: str,
    version_id: str,
    cache: VersionCache | None = None,
) -> int:
    """Make v1 (id ``version_id``) of the new project ``project_id`` hold the files of version
    ``source_number`` of ``source_project_id``, as full snapshots; return files written."""
    files = await load_version_files(
        session, project_id=source_project_id, version_number=source_number, cache=cache
    )
    return await store_version_files(
        session,
        version_id=version_id,
        project_id=project_id,
        version_number=1,
        files=files,
        previous={},
    )


async def copy_chat_history(
    session: AsyncSession,
    *,
    source_project_id: str,
    up_to_version: int,
    project_id: str,
    version_id: str,
) -> int:
    """Copy the source's chat messages of versions ``<= up_to_version`` into the fork, oldest
    first. Messages of the forked version point at the fork's v1 (``version_id``); earlier ones
    have no counterpart in the fork, so their version link is dropped. Returns messages copied."""
    messages = await session.scalars(
        select(ChatMessage)
        .where(
            ChatMessage.project_id == source_project_id,
            ChatMessage.version_number <= up_to_version,
        )
        .order_by(ChatMessage.created_at, ChatMessage.id)
    )
    rows = [
        {
            "project_id": project_id,
            "version_id": version_id if message.version_number == up_to_version else None,
            "version_number": 1 if message.version_number == up_to_version else None,
            "role": message.role,
            "content": message.content,
            "created_at": message.created_at,
        }
        for message in messages
    ]
    if rows:
        await session.execute(insert(ChatMessage), rows)
    return len(rows)


async def previous_version_number(
    session: AsyncSession, *, project_id: str, version_number: int
) -> int | None:
    return await session.scalar(
        select(ApiVersion.version_number)
        .where(ApiVersion.project_id == project_id, ApiVersion.version_number < version_number)
        .order_by(ApiVersion.version_number.desc())
        .limit(1)
    )


async def diff_versions(
    session: AsyncSession,
    *,
    project_id: str,
    version_number: int,
    against: int | None = None,
    cache: VersionCache | None = None,
    openapi_loader: OpenApiLoader = openapi_from_files,
) -> VersionDiff:
    """Version ``version_number`` compared with ``against`` (default: the version before it).

    A version's OpenAPI document is the one the sandbox read from the running app, else what
    ``openapi_loader`` finds in its files (default: a shipped ``openapi.json``); route changes
    are reported only when both sides have one.
    """
    new = await load_version_files(
        session, project_id=project_id, version_number=version_number, cache=cache
    )
    if against is None:
        against = await previous_version_number(
            session, project_id=project_id, version_number=version_number
        )
    old: dict[str, str] = {}
    if against is not None:
        old = await load_version_files(
            session, project_id=project_id, version_number=against, cache=cache
        )
    old_doc = await _document(session, project_id, against, old, openapi_loader)
    new_doc = await _document(session, project_id, version_number, new, openapi_loader)
    routes = changed_routes(old_doc, new_doc) if old_doc and new_doc else None
    return VersionDiff(project_id, version_number, against, compare_files(old, new), routes)


async def _document(
    session: AsyncSession,
    project_id: str,
    number: int | None,
    files: Mapping[str, str],
    openapi_loader: OpenApiLoader,
) -> Mapping[str, Any] | None:
    if number is not None:
        stored = await session.scalar(
            select(ApiVersion.openapi).where(
                ApiVersion.project_id == project_id, ApiVersion.version_number == number
            )
        )
        if stored:
            document: Mapping[str, Any] = json.loads(stored)
            return document
    return openapi_loader(files)
