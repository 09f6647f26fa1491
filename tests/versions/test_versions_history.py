"""Property tests: any edit history reconstructs exactly, cached or not; damage is caught."""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from apiforge.store.models import ApiVersion, VersionFile
from apiforge.versions.cache import VersionCache
from apiforge.versions.reconstruct import VersionIntegrityError, load_version_files

from .versions_support import open_history_db, write_history

History = list[tuple[str, dict[str, str]]]

PATHS = [
    "app/main.py",
    "app/models.py",
    "app/routes/items.py",
    "app/db.py",
    "README.md",
    "tests/test_api.py",
    "requirements.txt",
    "openapi.json",
]
lines = st.one_of(
    st.sampled_from(
        ["import os\n", "    return item\n", "\n", "def handler():\n", "x = 1\r\n", "# é 🙂\n"]
    ),
    st.text(alphabet="ab \r\n\t", max_size=6),
)
contents = st.lists(lines, min_size=0, max_size=25).map("".join)


def _edit_content(data: st.DataObject, text: str) -> str:
    parts = text.splitlines(keepends=True)
    where = data.draw(st.integers(0, len(parts)))
    action = data.draw(st.sampled_from(["replace", "insert", "drop"]))
    if action == "insert" or not parts or where == len(parts):
        parts.insert(where, data.draw(lines))
    elif action == "replace":
        parts[where] = data.draw(lines)
    else:
        del parts[where]
    return "".join(parts)


def _next_files(data: st.DataObject, files: dict[str, str], history: History) -> dict[str, str]:
    kind = data.draw(st.sampled_from(["edit", "edit", "edit", "create", "delete", "restore"]))
    if kind == "restore" and history:
        return dict(data.draw(st.sampled_from(history))[1])
    new = dict(files)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(PATHS))
        if kind == "delete":
            new.pop(path, None)
        elif kind == "create" or path not in new:
            new[path] = data.draw(contents)
        else:
            new[path] = _edit_content(data, new[path])
    return new


def draw_history(data: st.DataObject, versions: int) -> History:
    history: History = []
    files: dict[str, str] = {}
    for _ in range(versions):
        status = data.draw(st.sampled_from(["complete"] * 8 + ["failed", "cancelled"]))
        if status != "failed":
            files = _next_files(data, files, history)
        history.append((status, files))
    return history


async def _check_reconstruction(
    history: History, max_chain: int, pass_previous: bool, seed: int
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        db = await open_history_db(Path(scratch) / "h.sqlite3")
        try:
            await db.add_project("p")
            await write_history(db, "p", history, max_chain=max_chain, pass_previous=pass_previous)
            async with db.transaction() as session:
                rows = list(await session.scalars(select(VersionFile)))
                for number, (_, files) in enumerate(history, start=1):
                    got = await load_version_files(session, project_id="p", version_number=number)
                    assert got == files, f"v{number} uncached"
                # A small cache forces evictions; random order makes the LRU work.
                cache = VersionCache(max_bytes=20_000)
                order = list(range(1, len(history) + 1)) * 2
                random.Random(seed).shuffle(order)
                for number in order:
                    got = await load_version_files(
                        session, project_id="p", version_number=number, cache=cache
                    )
                    assert got == history[number - 1][1], f"v{number} cached"
            assert all(row.chain_length <= max_chain for row in rows)
            assert all((row.content_diff is None) == (row.chain_length == 0) for row in rows)
        finally:
            await db.close()


@given(
    data=st.data(),
    max_chain=st.sampled_from([0, 1, 3, 10]),
    pass_previous=st.booleans(),
    seed=st.integers(0, 2**16),
)
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_sixty_versions_reconstruct_exactly(
    data: st.DataObject, max_chain: int, pass_previous: bool, seed: int
) -> None:
    history = draw_history(data, versions=60)
    asyncio.run(_check_reconstruction(history, max_chain, pass_previous, seed))


def _corrupt(diff: str, how: str) -> str:
    if how == "garbage":
        return diff[: len(diff) // 2]
    document = json.loads(diff)
    if how == "line" and any(op[2] for op in document["ops"]):
        op = next(op for op in document["ops"] if op[2])
        op[2][0] = op[2][0] + "CORRUPTED"
    else:
        document["n"] += 1
    return json.dumps(document)


async def _check_corruption(history: History, pick: int, how: str, use_cache: bool) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        db = await open_history_db(Path(scratch) / "h.sqlite3")
        try:
            await db.add_project("p")
            await write_history(db, "p", history, max_chain=10)
            async with db.transaction() as session:
                statement = (
                    select(VersionFile, ApiVersion.version_number)
                    .join(ApiVersion, VersionFile.version_id == ApiVersion.id)
                    .where(VersionFile.content_diff.is_not(None))
                )
                diff_rows = list(await session.execute(statement))
                if not diff_rows:
                    return
                row, damaged_at = diff_rows[pick % len(diff_rows)]
                await session.execute(
                    update(VersionFile)
                    .where(VersionFile.id == row.id)
                    .values(content_diff=_corrupt(row.content_diff or "", how))
                )
            cache = VersionCache(max_bytes=1 << 22) if use_cache else None
            for _ in range(2):  # the second pass reads whatever the first one repaired
                for number, (_, files) in enumerate(history, start=1):
                    async with db.transaction() as session:
                        try:
                            got = await load_version_files(
                                session, project_id="p", version_number=number, cache=cache
                            )
                        except VersionIntegrityError:
                            assert number >= damaged_at, "damage leaked into an older version"
                            continue
                        assert got == files, f"wrong bytes served for v{number}"
        finally:
            await db.close()


@given(
    data=st.data(),
    pick=st.integers(0, 1000),
    how=st.sampled_from(["garbage", "line", "count"]),
    use_cache=st.booleans(),
)
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_corrupted_diff_never_serves_wrong_bytes(
    data: st.DataObject, pick: int, how: str, use_cache: bool
) -> None:
    history = draw_history(data, versions=20)
    asyncio.run(_check_corruption(history, pick, how, use_cache))
