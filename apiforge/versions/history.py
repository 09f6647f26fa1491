"""Writing a version's files with the snapshot policy, and deleting a version safely.

Policy (issue 5): the first stored state of a file is full content. A modified file stores a diff
against its content at the version before, or full content when that is not larger than the diff.
A diff whose chain (diffs since the nearest full snapshot) would exceed ``max_chain`` becomes a
full snapshot instead. A deleted file stores an ``operation="deleted"`` row; an unchanged file
stores nothing. Reading the rows back is :mod:`apiforge.versions.reconstruct`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from apiforge.errors import ConflictError, InputError
from apiforge.store.models import ApiVersion, VersionFile
from apiforge.versions.cache import VersionCache
from apiforge.versions.diffs import make_diff, sha256_text, utf8_size
from apiforge.versions.paths import safe_relative_path
from apiforge.versions.reconstruct import (
    RowMeta,
    fetch_row_index,
    get_version,
    live_rows,
    load_version_files,
    rebuild_files,
)

DEFAULT_MAX_CHAIN = 10


@dataclass(frozen=True)
class FileRow:
    """What one ``version_files`` row will hold (minus its ids)."""

    file_path: str
    operation: str
    full_content: str | None
    content_diff: str | None
    sha256: str
    size: int
    chain_length: int


def _changed_row(path: str, new: str, old: str, old_chain: int, max_chain: int) -> FileRow:
    digest, size = sha256_text(new), utf8_size(new)
    chain = old_chain + 1
    if chain <= max_chain:
        diff = make_diff(old, new)
        if utf8_size(diff) < size:
            return FileRow(path, "modified", None, diff, digest, size, chain)
    return FileRow(path, "modified", new, None, digest, size, 0)


def plan_file_rows(
    files: Mapping[str, str],
    previous: Mapping[str, str],
    previous_chains: Mapping[str, int],
    *,
    max_chain: int = DEFAULT_MAX_CHAIN,
) -> list[FileRow]:
    """The rows that turn ``previous`` into ``files``; ``previous_chains[path]`` is the chain
    length of the row that holds ``previous[path]`` (0 when unknown: the safe side is shorter)."""
    rows: list[FileRow] = []
    for path in sorted(files):
        new = files[path]
        if path not in previous:
            rows.append(FileRow(path, "created", new, None, sha256_text(new), utf8_size(new), 0))
        elif previous[path] != new:
            chain = previous_chains.get(path, 0)
            rows.append(_changed_row(path, new, previous[path], chain, max_chain))
    for path in sorted(set(previous) - set(files)):
        rows.append(FileRow(path, "deleted", None, None, "", 0, 0))
    return rows


def _check_previous(previous: Mapping[str, str], live: Mapping[str, RowMeta], number: int) -> None:
    same_paths = set(previous) == set(live)
    if not same_paths or any(sha256_text(previous[p]) != live[p].sha256 for p in previous):
        raise ConflictError(
            f"the files given as 'previous' are not the stored files before version {number}"
        )


async def _version_row(
    session: AsyncSession, version_id: str, project_id: str, version_number: int
) -> ApiVersion:
    version = await session.get(ApiVersion, version_id)
    if version is None:
        raise InputError(f"version {version_id} does not exist")
    if (version.project_id, version.version_number) != (project_id, version_number):
        raise InputError(f"version {version_id} is not v{version_number} of {project_id}")
    return version


async def store_version_files(
    session: AsyncSession,
    *,
    version_id: str,
    project_id: str,
    version_number: int,
    files: Mapping[str, str],
    previous: Mapping[str, str] | None = None,
    max_chain: int = DEFAULT_MAX_CHAIN,
    cache: VersionCache | None = None,
) -> int:
    """Write the rows for a version whose complete file set is ``files``; return rows written.

    ``previous`` must be the stored files of the newest version below this one (checked by
    hash, ConflictError if not); leave it None to have it read from the store (cache first).
    Idempotent: calling it again for the same version replaces that version's rows, so a retried
    workflow step does no harm. Store the files before (or in the same transaction as) setting a
    final status: final versions are cached and must not change afterwards.
    """
    for path in files:
        safe_relative_path(path)
    await _version_row(session, version_id, project_id, version_number)
    index = await fetch_row_index(session, project_id=project_id, up_to=version_number - 1)
    live = live_rows(index)
    if previous is not None:
        _check_previous(previous, live, version_number)
    elif cache is not None and (cached := cache.get(project_id, version_number - 1)) is not None:
        previous = cached
        _check_previous(previous, live, version_number)  # the cache is checked like a caller
    else:
        previous = await rebuild_files(session, project_id=project_id, index=index, cache=cache)
    chains = {path: meta.chain_length for path, meta in live.items()}
    rows = plan_file_rows(files, previous, chains, max_chain=max_chain)
    await session.execute(delete(VersionFile).where(VersionFile.version_id == version_id))
    if rows:
        await session.execute(
            insert(VersionFile), [{"version_id": version_id, **asdict(row)} for row in rows]
        )
    return len(rows)


async def _next_version(
    session: AsyncSession, project_id: str, version_number: int
) -> ApiVersion | None:
    return await session.scalar(
        select(ApiVersion)
        .where(ApiVersion.project_id == project_id, ApiVersion.version_number > version_number)
        .order_by(ApiVersion.version_number)
        .limit(1)
    )


async def delete_version(
    session: AsyncSession,
    *,
    project_id: str,
    version_number: int,
    cache: VersionCache | None = None,
) -> None:
    """Delete one version without breaking later ones.

    The next version's rows were diffs against the deleted one, so they are rewritten against
    the version before it (as full snapshots: cheap, and chains stay short). Invalidates the
    project in ``cache``; call ``cache.invalidate_project`` again after the commit, since a
    reader in between may still see the old rows.
    """
    if cache is not None:
        cache.invalidate_project(project_id)
    target = await get_version(session, project_id=project_id, version_number=version_number)
    successor = await _next_version(session, project_id, version_number)
    successor_files = None
    if successor is not None:
        successor_files = await load_version_files(
            session, project_id=project_id, version_number=successor.version_number
        )
    await session.execute(delete(VersionFile).where(VersionFile.version_id == target.id))
    await session.delete(target)
    await session.flush()
    if successor is not None and successor_files is not None:
        await store_version_files(
            session,
            version_id=successor.id,
            project_id=project_id,
            version_number=successor.version_number,
            files=successor_files,
            max_chain=0,
        )
    if cache is not None:
        cache.invalidate_project(project_id)
