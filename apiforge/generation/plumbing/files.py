"""Which files a generation starts from, and the whole file set it ends with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from apiforge.store import repository as repo
from apiforge.store.models import ApiVersion
from apiforge.versions import load_version_files

if TYPE_CHECKING:  # version_run.py (below context.py) uses apply_changes from here
    from apiforge.generation.plumbing.context import GenerationRuntime


def base_number(version: ApiVersion) -> int:
    """The version whose files this one changes: the one before it, unless regenerating."""
    if version.base_version_number is not None:
        return version.base_version_number
    return version.version_number - 1


async def load_base_files(
    runtime: GenerationRuntime, project_id: str, version_number: int
) -> dict[str, str]:
    async with runtime.db.read() as session:
        version = await repo.get_version(session, project_id, version_number)
        number = base_number(version)
        if number < 1:
            return {}
        return await load_version_files(
            session, project_id=project_id, version_number=number, cache=runtime.cache
        )


def apply_changes(base: Mapping[str, str], changes: Mapping[str, str | None]) -> dict[str, str]:
    files = dict(base)
    for path, content in changes.items():
        if content is None:
            files.pop(path, None)
        else:
            files[path] = content
    return files


async def files_after(
    runtime: GenerationRuntime,
    project_id: str,
    version_number: int,
    changes: Mapping[str, str | None],
) -> dict[str, str]:
    """The version's whole file set: its base files with this generation's changes."""
    base = await load_base_files(runtime, project_id, version_number)
    return apply_changes(base, changes)
