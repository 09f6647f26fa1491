"""Restore, fork, delete, the write-side checks, and recovery from damaged rows."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, update

from apiforge.errors import ConflictError, InputError, NotFoundError
from apiforge.store.models import ApiVersion, ChatMessage, VersionFile
from apiforge.versions.cache import VersionCache
from apiforge.versions.history import delete_version, store_version_files
from apiforge.versions.lineage import copy_chat_history, store_forked_files, store_restored_files
from apiforge.versions.reconstruct import VersionIntegrityError, load_version_files

from .versions_support import EPOCH, HistoryDb, write_history

BIG = "".join(f"line {i}\n" for i in range(200))
V1 = {"main.py": BIG, "README.md": "# one\n"}
V2 = {"main.py": BIG.replace("line 5\n", "line five\n"), "README.md": "# one\n", "new.py": "n\n"}
V3 = {"main.py": BIG.replace("line 9\n", "line nine\n"), "new.py": "n\n"}
HISTORY = [("complete", V1), ("complete", V2), ("complete", V3)]


async def load(db: HistoryDb, number: int, cache: VersionCache | None = None) -> dict[str, str]:
    async with db.transaction() as session:
        return await load_version_files(session, project_id="p", version_number=number, cache=cache)


async def rows_of(db: HistoryDb, version_id: str) -> dict[str, VersionFile]:
    async with db.transaction() as session:
        rows = await session.scalars(
            select(VersionFile).where(VersionFile.version_id == version_id)
        )
        return {row.file_path: row for row in rows}


async def test_policy_full_first_then_diffs_and_deletions(history_db: HistoryDb) -> None:
    await history_db.add_project("p")
    await write_history(history_db, "p", HISTORY)
    first, second, third = [await rows_of(history_db, f"p-v{n}") for n in (1, 2, 3)]
    assert {r.operation for r in first.values()} == {"created"}
    assert all(r.full_content is not None for r in first.values())
    assert set(second) == {"main.py", "new.py"}  # README.md unchanged: no row
    assert second["main.py"].content_diff is not None and second["main.py"].chain_length == 1
    assert third["README.md"].operation == "deleted"
    assert third["main.py"].chain_length == 2


async def test_restore_makes_a_new_version_equal_to_the_old_one(history_db: HistoryDb) -> None:
    await history_db.add_project("p")
    await write_history(history_db, "p", HISTORY)
    cache = VersionCache(1 << 20)
    async with history_db.transaction() as session:
        session.add(history_db.new_version("p", 4))
        await session.flush()
        changed = await store_restored_files(
            session,
            project_id="p",
            source_number=1,
            version_id="p-v4",
            version_number=4,
            cache=cache,
        )
    assert changed == 3  # main.py back, README.md back, new.py gone
    assert await load(history_db, 4, cache) == V1
    assert await load(history_db, 3) == V3  # history is not rewritten


async def test_fork_copies_files_and_chat(history_db: HistoryDb) -> None:
    await history_db.add_project("p")
    await history_db.add_project("f")
    await write_history(history_db, "p", HISTORY)
    async with history_db.transaction() as session:
        for number in (1, 2, 3):
            session.add(
                ChatMessage(
                    project_id="p",
                    version_id=f"p-v{number}",
                    version_number=number,
                    role="user",
                    content=f"ask {number}",
                    created_at=EPOCH,
                )
            )
        session.add(history_db.new_version("f", 1))
        await session.flush()
        written = await store_forked_files(
            session, source_project_id="p", source_number=2, project_id="f", version_id="f-v1"
        )
        copied = await copy_chat_history(
            session, source_project_id="p", up_to_version=2, project_id="f", version_id="f-v1"
        )
        messages = list(
            await session.scalars(select(ChatMessage).where(ChatMessage.project_id == "f"))
        )
    assert written == 3 and copied == 2
    assert [(m.content, m.version_number) for m in messages] == [("ask 1", None), ("ask 2", 1)]
    async with history_db.transaction() as session:
        assert await load_version_files(session, project_id="f", version_number=1) == V2
    assert all(r.full_content is not None for r in (await rows_of(history_db, "f-v1")).values())


async def test_deleting_a_middle_version_keeps_later_ones(history_db: HistoryDb) -> None:
    await history_db.add_project("p")
    await write_history(history_db, "p", HISTORY)
    cache = VersionCache(1 << 20)
    for number in (1, 2, 3):
        await load(history_db, number, cache)
    async with history_db.transaction() as session:
        await delete_version(session, project_id="p", version_number=2, cache=cache)
    assert cache.cached_versions("p") == []
    assert await load(history_db, 3, cache) == V3
    assert await load(history_db, 1, cache) == V1
    with pytest.raises(NotFoundError):
        await load(history_db, 2, cache)


async def test_wrong_previous_is_refused(history_db: HistoryDb) -> None:
    await history_db.add_project("p")
    await write_history(history_db, "p", HISTORY[:1])
    async with history_db.transaction() as session:
        session.add(history_db.new_version("p", 2))
        await session.flush()
        with pytest.raises(ConflictError):
            await store_version_files(
                session,
                version_id="p-v2",
                project_id="p",
                version_number=2,
                files=V2,
                previous={"main.py": "something else"},
            )
        with pytest.raises(InputError):
            await store_version_files(
                session, version_id="p-v2", project_id="p", version_number=2, files={"../x": ""}
            )


async def test_storing_twice_replaces_the_rows(history_db: HistoryDb) -> None:
    await history_db.add_project("p")
    await write_history(history_db, "p", HISTORY[:2])
    async with history_db.transaction() as session:
        again = await store_version_files(
            session, version_id="p-v2", project_id="p", version_number=2, files=V2
        )
    assert again == 2 and await load(history_db, 2) == V2


async def corrupt(db: HistoryDb, version_id: str, path: str, **values: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(VersionFile)
            .where(VersionFile.version_id == version_id, VersionFile.file_path == path)
            .values(**values)
        )


async def test_damaged_diff_recovers_from_cache_and_repairs(
    history_db: HistoryDb, caplog: pytest.LogCaptureFixture
) -> None:
    await history_db.add_project("p")
    await write_history(history_db, "p", HISTORY)
    cache = VersionCache(1 << 20)
    await load(history_db, 2, cache)  # v2 is cached, v3 is not
    await corrupt(
        history_db, "p-v2", "main.py", content_diff='{"v":1,"n":200,"ops":[[0,1,["junk\\n"]]]}'
    )
    with caplog.at_level(logging.WARNING, logger="apiforge.versions.reconstruct"):
        assert await load(history_db, 3, cache) == V3
    assert "failed its sha256 check" in caplog.text
    repaired = (await rows_of(history_db, "p-v2"))["main.py"]
    assert repaired.full_content == V2["main.py"] and repaired.content_diff is None
    assert await load(history_db, 3) == V3 and await load(history_db, 2) == V2


async def test_damaged_diff_recovers_from_a_snapshot_with_the_same_hash(
    history_db: HistoryDb,
) -> None:
    history = [*HISTORY, ("complete", V1)]  # v4 goes back to V1's main.py as a diff
    await history_db.add_project("p")
    await write_history(history_db, "p", history)
    await corrupt(history_db, "p-v4", "main.py", content_diff="garbage")
    assert await load(history_db, 4) == V1  # v1's full main.py has the same sha256


async def test_damage_with_no_trusted_copy_is_a_clear_error(history_db: HistoryDb) -> None:
    await history_db.add_project("p")
    await write_history(history_db, "p", HISTORY)
    await corrupt(history_db, "p-v1", "main.py", full_content=BIG + "tampered\n")
    for number in (1, 2, 3):
        with pytest.raises(VersionIntegrityError, match="main.py"):
            await load(history_db, number)
    async with history_db.transaction() as session:
        version = await session.get(ApiVersion, "p-v1")
        assert version is not None  # nothing was deleted or rewritten by the failed reads
