from __future__ import annotations

import pytest
from sqlalchemy import delete

from apiforge.errors import NotFoundError
from apiforge.store.models import ApiVersion, VersionFile
from apiforge.versions.cache import VersionCache, files_size
from apiforge.versions.reconstruct import load_version_files

from .versions_support import HistoryDb, write_history

A = {"a.py": "x" * 1000}
B = {"b.py": "y" * 1000}
C = {"c.py": "z" * 1000}


def test_lru_evicts_least_recently_used_by_bytes() -> None:
    cache = VersionCache(max_bytes=files_size(A) * 2)
    assert cache.put("p", 1, A, epoch=cache.epoch)
    assert cache.put("p", 2, B, epoch=cache.epoch)
    assert cache.get("p", 1) == A  # 1 is now the most recent
    assert cache.put("p", 3, C, epoch=cache.epoch)
    assert cache.get("p", 2) is None
    assert cache.get("p", 1) == A and cache.get("p", 3) == C
    stats = cache.stats()
    assert stats.entries == 2 and stats.bytes <= stats.max_bytes


def test_oversized_entry_is_not_cached() -> None:
    cache = VersionCache(max_bytes=100)
    assert not cache.put("p", 1, A, epoch=cache.epoch)
    assert cache.get("p", 1) is None and cache.stats().bytes == 0


def test_get_returns_a_copy() -> None:
    cache = VersionCache(max_bytes=10_000)
    cache.put("p", 1, A, epoch=cache.epoch)
    got = cache.get("p", 1)
    assert got is not None
    got["a.py"] = "changed"
    assert cache.get("p", 1) == A


def test_invalidate_project_drops_only_that_project_and_stale_puts() -> None:
    cache = VersionCache(max_bytes=100_000)
    cache.put("p", 1, A, epoch=cache.epoch)
    cache.put("q", 1, B, epoch=cache.epoch)
    epoch_before = cache.epoch
    cache.invalidate_project("p")
    assert cache.get("p", 1) is None and cache.get("q", 1) == B
    # A reader that started before the invalidation must not put its result back.
    assert not cache.put("p", 2, A, epoch=epoch_before)
    assert cache.cached_versions("p") == []
    assert cache.stats().bytes == files_size(B)


async def test_only_final_versions_are_cached(history_db: HistoryDb) -> None:
    await history_db.add_project("p")
    await write_history(history_db, "p", [("complete", A), ("generating", B)])
    cache = VersionCache(max_bytes=1 << 20)
    async with history_db.transaction() as session:
        for number in (1, 2):
            await load_version_files(session, project_id="p", version_number=number, cache=cache)
    assert cache.cached_versions("p") == [1]


async def test_cache_hit_does_not_read_the_database(history_db: HistoryDb) -> None:
    await history_db.add_project("p")
    await write_history(history_db, "p", [("complete", A), ("complete", B)])
    cache = VersionCache(max_bytes=1 << 20)
    async with history_db.transaction() as session:
        await load_version_files(session, project_id="p", version_number=2, cache=cache)
        await session.execute(delete(VersionFile))
        await session.execute(delete(ApiVersion))
    async with history_db.transaction() as session:
        assert await load_version_files(session, project_id="p", version_number=2, cache=cache) == B
        with pytest.raises(NotFoundError):
            await load_version_files(session, project_id="p", version_number=2)
