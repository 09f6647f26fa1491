"""Versions made from stored files without a model: restore (a new version of the same
project) and fork (a new project). Both are complete at once, through version_run."""

from __future__ import annotations

from apiforge.errors import GenerationRunning
from apiforge.generation.plumbing.context import GenerationRuntime
from apiforge.generation.quotas import check_can_add_version, project_key
from apiforge.generation.version_run import announce_at_once, settle_at_once
from apiforge.store import repository as repo
from apiforge.store.db import serialize
from apiforge.store.models import ApiVersion, Project
from apiforge.versions import copy_chat_history, store_forked_files, store_restored_files


async def restore_version(runtime: GenerationRuntime, project_id: str, number: int) -> ApiVersion:
    """The files of version ``number`` as the project's newest version."""
    async with runtime.db.transaction() as session:
        project = await repo.get_project(session, project_id)
        source = await repo.get_version(session, project_id, number)
        await serialize(session, project_key(project_id))
        await repo.ensure_idle(session, project_id)
        await check_can_add_version(session, project_id=project_id, settings=runtime.settings)
        version = await repo.create_version(
            session, project=project, prompt=f"Restore v{number}", origin="restore"
        )
        changed = await store_restored_files(
            session,
            project_id=project_id,
            source_number=source.version_number,
            version_id=version.id,
            version_number=version.version_number,
            cache=runtime.cache,
        )
        carry_checks(version, source)
        settle_at_once(version, f"Restored v{number}", changed)
        text = f"Restored the files of v{number} as v{version.version_number}."
        await repo.add_message(
            session, project_id=project_id, role="system", content=text, version=version
        )
    await announce_at_once(runtime.log, version)
    return version


async def fork_version(
    runtime: GenerationRuntime, project_id: str, number: int
) -> tuple[Project, ApiVersion]:
    """A new project whose first version has the files and chat of version ``number``."""
    async with runtime.db.transaction() as session:
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
        carry_checks(version, source)
        changed = await store_forked_files(
            session,
            source_project_id=project_id,
            source_number=number,
            project_id=project.id,
            version_id=version.id,
            cache=runtime.cache,
        )
        await copy_chat_history(
            session,
            source_project_id=project_id,
            up_to_version=number,
            project_id=project.id,
            version_id=version.id,
        )
        settle_at_once(version, f"Forked from v{number} of {source_project.name}", changed)
    await announce_at_once(runtime.log, version)
    return project, version


def carry_checks(version: ApiVersion, source: ApiVersion) -> None:
    """Byte-identical files: the source's OpenAPI document and validation report are true of
    the copy too. The report names the version it was made for, the first in a chain of copies."""
    version.openapi = source.openapi
    version.validation = source.validation
    if source.validation is None:
        return
    if source.validated_as_version is not None:
        version.validated_as_project_id = source.validated_as_project_id
        version.validated_as_version = source.validated_as_version
    else:
        version.validated_as_project_id = source.project_id
        version.validated_as_version = source.version_number


def _refuse_unfinished(version: ApiVersion) -> None:
    if version.status.active:
        raise GenerationRunning(f"Version {version.version_number} is still being generated")
