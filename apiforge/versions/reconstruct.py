"""Reading a version's files back: chains of diffs from the nearest full snapshot, hash-checked.

How a version's files are defined: every version of a project that stored ``version_files`` rows
counts, in ``version_number`` order, whatever its status. A version that stored nothing (failed,
still running, or a prompt that changed no file) has the same files as the version before it.
A diff row at version *k* is against the file's content at the newest version below *k*, which is
also the newest row for that path below *k*. Status plays no part in this, so the chain depends
only on the rows; the status only decides whether a result may be cached (final versions only).

Every row carries the sha256 of the full content at that version. Each step of a chain is checked;
on a mismatch (or a diff that does not apply) the content is looked up by its hash among trusted
sources — cached versions, then any full snapshot in the project — and the broken row is rewritten
as a full snapshot, with a warning. If no source has it, :class:`VersionIntegrityError` is raised:
wrong bytes are never returned.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from apiforge.errors import ApiforgeError, NotFoundError
from apiforge.store.models import ApiVersion, VersionFile
from apiforge.store.status import FINAL_STATUSES, VersionStatus
from apiforge.versions.cache import VersionCache
from apiforge.versions.diffs import (
    DiffError,
    apply_diff,
    apply_ops,
    parse_diff,
    sha256_text,
    utf8_size,
)

logger = logging.getLogger(__name__)

DELETED = "deleted"
_ID_CHUNK = 500


class VersionIntegrityError(ApiforgeError):
    """Stored history is damaged and no trusted copy of the needed content exists."""

    code = "version_corrupted"
    status_code = 500


@dataclass(frozen=True)
class RowMeta:
    """A ``version_files`` row without its (possibly large) content."""

    id: int
    version_number: int
    path: str
    operation: str
    sha256: str
    chain_length: int
    has_full: bool


RowIndex = dict[str, list[RowMeta]]
# (full_content, content_diff) of one row.
Contents = tuple[str | None, str | None]


async def get_version(session: AsyncSession, *, project_id: str, version_number: int) -> ApiVersion:
    version = await session.scalar(
        select(ApiVersion).where(
            ApiVersion.project_id == project_id, ApiVersion.version_number == version_number
        )
    )
    if version is None:
        raise NotFoundError(f"project {project_id} has no version {version_number}")
    return version


_files = VersionFile.__table__
_versions = ApiVersion.__table__


@dataclass(frozen=True)
class HistoryIndex:
    """Row metadata per path up to a version, and each of those versions' status."""

    rows: RowIndex
    statuses: dict[int, VersionStatus]


async def fetch_history_index(
    session: AsyncSession, *, project_id: str, up_to: int
) -> HistoryIndex:
    """Every version numbered ``<= up_to`` and its rows (oldest first), in one query."""
    statement = (
        select(
            _files.c.id,
            _versions.c.version_number,
            _files.c.file_path,
            _files.c.operation,
            _files.c.sha256,
            _files.c.chain_length,
            _files.c.full_content.is_not(None),
            _versions.c.status,
        )
        .select_from(_versions.outerjoin(_files, _files.c.version_id == _versions.c.id))
        .where(_versions.c.project_id == project_id, _versions.c.version_number <= up_to)
        .order_by(_versions.c.version_number)
    )
    index = HistoryIndex(rows={}, statuses={})
    for row in await session.execute(statement):
        index.statuses[row[1]] = row[7]
        if row[0] is not None:
            meta = RowMeta(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]))
            index.rows.setdefault(meta.path, []).append(meta)
    return index


async def fetch_row_index(session: AsyncSession, *, project_id: str, up_to: int) -> RowIndex:
    """Every row of the project's versions numbered ``<= up_to``, per path, oldest first."""
    return (await fetch_history_index(session, project_id=project_id, up_to=up_to)).rows


def live_rows(index: RowIndex) -> dict[str, RowMeta]:
    """The newest row of every path that exists at the index's last version."""
    return {path: rows[-1] for path, rows in index.items() if rows[-1].operation != DELETED}


def _chain_for(rows: list[RowMeta]) -> list[RowMeta]:
    """Rows from the nearest full snapshot up to the newest row (a broken chain starts with a
    diff row whose base is missing; the reader then has to recover that row)."""
    chain = [rows[-1]]
    position = len(rows) - 1
    while not chain[-1].has_full and position > 0:
        position -= 1
        if rows[position].operation == DELETED:
            break
        chain.append(rows[position])
    chain.reverse()
    return chain


async def _fetch_contents(session: AsyncSession, ids: list[int]) -> dict[int, Contents]:
    contents: dict[int, Contents] = {}
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = ids[start : start + _ID_CHUNK]
        statement = select(_files.c.id, _files.c.full_content, _files.c.content_diff)
        for row_id, full, diff in await session.execute(statement.where(_files.c.id.in_(chunk))):
            contents[row_id] = (full, diff)
    return contents


def _step(base: str | None, full: str | None, diff: str | None, expected: str) -> str | None:
    """The content of one row, or None if it cannot be produced and verified from its data."""
    if full is not None:
        text = full
    elif base is not None and diff is not None:
        try:
            text = apply_diff(base, diff)
        except DiffError:
            return None
    else:
        return None
    return text if sha256_text(text) == expected else None


def _fast_chain(chain: list[RowMeta], contents: Mapping[int, Contents]) -> str | None:
    """The chain applied as line lists with one hash check at the end; None if anything is
    off (the caller then walks it step by step to find and recover the bad row)."""
    full = contents.get(chain[0].id, (None, None))[0]
    if full is None:
        return None
    lines = full.splitlines(keepends=True)
    try:
        for meta in chain[1:]:
            diff = contents.get(meta.id, (None, None))[1]
            if diff is None:
                return None
            lines = apply_ops(lines, *parse_diff(diff))
    except DiffError:
        return None
    text = "".join(lines)
    return text if sha256_text(text) == chain[-1].sha256 else None


async def _checked_chain(
    session: AsyncSession,
    project_id: str,
    chain: list[RowMeta],
    contents: Mapping[int, Contents],
    cache: VersionCache | None,
) -> str:
    text: str | None = None
    for meta in chain:
        full, diff = contents.get(meta.id, (None, None))
        produced = _step(text, full, diff, meta.sha256)
        if produced is None:
            produced = await recover_row(session, project_id=project_id, meta=meta, cache=cache)
        text = produced
    assert text is not None  # a chain always has at least one row
    return text


async def rebuild_files(
    session: AsyncSession,
    *,
    project_id: str,
    index: RowIndex,
    cache: VersionCache | None = None,
) -> dict[str, str]:
    """The files at the index's last version (see the module docstring for the rules)."""
    chains = {path: _chain_for(index[path]) for path in live_rows(index)}
    ids = [meta.id for chain in chains.values() for meta in chain]
    contents = await _fetch_contents(session, ids)
    files: dict[str, str] = {}
    for path, chain in chains.items():
        text = _fast_chain(chain, contents)
        if text is None:
            text = await _checked_chain(session, project_id, chain, contents, cache)
        files[path] = text
    return files


async def load_version_files(
    session: AsyncSession,
    *,
    project_id: str,
    version_number: int,
    cache: VersionCache | None = None,
) -> dict[str, str]:
    """``{path: content}`` of one version. Raises NotFoundError or VersionIntegrityError.

    May write a repaired row (see :func:`recover_row`), so call it inside a transaction that
    commits; the returned dict is the caller's own copy.
    """
    if cache is not None:
        hit = cache.get(project_id, version_number)
        if hit is not None:
            return hit
    epoch = cache.epoch if cache is not None else 0
    index = await fetch_history_index(session, project_id=project_id, up_to=version_number)
    status = index.statuses.get(version_number)
    if status is None:
        raise NotFoundError(f"project {project_id} has no version {version_number}")
    files = await rebuild_files(session, project_id=project_id, index=index.rows, cache=cache)
    if cache is not None and status in FINAL_STATUSES:
        cache.put(project_id, version_number, files, epoch=epoch)
    return files


def _find_in_cache(cache: VersionCache | None, project_id: str, wanted: str) -> str | None:
    if cache is None:
        return None
    for number in reversed(cache.cached_versions(project_id)):
        cached = cache.get(project_id, number) or {}
        for text in cached.values():
            if sha256_text(text) == wanted:
                return text
    return None


async def _find_snapshot(session: AsyncSession, project_id: str, wanted: str) -> str | None:
    statement = (
        select(VersionFile.full_content)
        .join(ApiVersion, VersionFile.version_id == ApiVersion.id)
        .where(
            ApiVersion.project_id == project_id,
            VersionFile.sha256 == wanted,
            VersionFile.full_content.is_not(None),
        )
        .order_by(ApiVersion.version_number.desc())
    )
    for full in await session.scalars(statement):
        if full is not None and sha256_text(full) == wanted:
            return full
    return None


async def recover_row(
    session: AsyncSession, *, project_id: str, meta: RowMeta, cache: VersionCache | None
) -> str:
    """Trusted content for a row whose stored data failed its check; rewrite it as a snapshot."""
    text = _find_in_cache(cache, project_id, meta.sha256)
    if text is None:
        text = await _find_snapshot(session, project_id, meta.sha256)
    if text is None:
        raise VersionIntegrityError(
            f"stored history of {meta.path!r} at version {meta.version_number} of project "
            f"{project_id} is damaged and no trusted copy exists"
        )
    logger.warning(
        "version_files row %s (%s v%s) failed its sha256 check; rewrote it from a trusted copy",
        meta.id,
        meta.path,
        meta.version_number,
    )
    await session.execute(
        update(VersionFile)
        .where(VersionFile.id == meta.id)
        .values(full_content=text, content_diff=None, chain_length=0, size=utf8_size(text))
    )
    return text


def apply_rows(state: Mapping[str, str], rows: Iterable[VersionFile]) -> dict[str, str] | None:
    """``state`` advanced by one version's rows, or None if any row fails its check."""
    files = dict(state)
    for row in rows:
        if row.operation == DELETED:
            files.pop(row.file_path, None)
            continue
        text = _step(files.get(row.file_path), row.full_content, row.content_diff, row.sha256)
        if text is None:
            return None
        files[row.file_path] = text
    return files


async def iter_version_states(
    session: AsyncSession, *, project_id: str, cache: VersionCache | None = None
) -> AsyncIterator[tuple[ApiVersion, dict[str, str]]]:
    """Every version of a project, oldest first, with its files: one pass over all rows.

    Cheaper than loading each version on its own (each diff is applied once). A version whose
    rows fail their check is loaded through :func:`load_version_files`, which recovers or raises.
    """
    versions = list(
        await session.scalars(
            select(ApiVersion)
            .where(ApiVersion.project_id == project_id)
            .order_by(ApiVersion.version_number)
        )
    )
    rows_by_version: dict[str, list[VersionFile]] = {}
    statement = (
        select(VersionFile)
        .join(ApiVersion, VersionFile.version_id == ApiVersion.id)
        .where(ApiVersion.project_id == project_id)
    )
    for row in await session.scalars(statement):
        rows_by_version.setdefault(row.version_id, []).append(row)
    state: dict[str, str] = {}
    for version in versions:
        advanced = apply_rows(state, rows_by_version.get(version.id, ()))
        if advanced is None:
            advanced = await load_version_files(
                session, project_id=project_id, version_number=version.version_number, cache=cache
            )
        state = advanced
        yield version, dict(state)
