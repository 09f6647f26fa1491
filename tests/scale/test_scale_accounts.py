"""Accounts on PostgreSQL: a user name taken twice at once is a 409 (``user_exists``), as on
SQLite, not a 500 from the unique index."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from apiforge.auth import accounts
from apiforge.auth.csrf_key import load_csrf_key
from apiforge.auth.service import Accounts
from apiforge.errors import ConflictError
from apiforge.settings import Settings
from apiforge.store.db import Database

pytestmark = pytest.mark.scale


async def test_one_name_created_at_once_makes_one_user_and_409s(
    database: Database, tmp_path: Path
) -> None:
    """What POST /api/users and ``apiforge users create`` call, four times at once."""
    service = Accounts(Settings(data_dir=tmp_path, database_url=database.url), database)
    try:
        results = await asyncio.gather(
            *(service.create_user("alice", "correct horse", admin=False) for _ in range(4)),
            return_exceptions=True,
        )
    finally:
        await service.aclose()
    conflicts = [r for r in results if isinstance(r, ConflictError)]
    assert len(conflicts) == 3, results
    assert {c.code for c in conflicts} == {"user_exists"}
    assert {c.status_code for c in conflicts} == {409}


async def test_the_unique_index_itself_answers_409(database: Database) -> None:
    """Without any lock: the second insert waits on the first's index entry, then fails."""
    first_inserted = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> None:
        async with database.transaction() as session:
            await accounts.create_user(session, username="bob", password_hash=None, is_admin=False)
            first_inserted.set()
            await release_first.wait()

    async def second() -> None:
        await first_inserted.wait()
        async with database.transaction() as session:
            await accounts.create_user(session, username="bob", password_hash=None, is_admin=False)

    first_task = asyncio.create_task(first())
    second_task = asyncio.create_task(second())
    await first_inserted.wait()
    await asyncio.sleep(0.2)  # the second is blocked on the index entry by now
    release_first.set()
    await first_task
    with pytest.raises(ConflictError) as raised:
        await second_task
    assert raised.value.code == "user_exists"


async def test_processes_starting_at_once_share_one_csrf_key(
    fresh_databases: Callable[[], tuple[str, str]], tmp_path: Path
) -> None:
    """Five processes' first start at once (five engines): one key wins, all read it."""
    app_url, _ = fresh_databases()
    engines = [Database(app_url) for _ in range(5)]
    await engines[0].migrate()
    try:
        keys = await asyncio.gather(
            *(load_csrf_key(db, tmp_path / f"dir-{i}") for i, db in enumerate(engines))
        )
    finally:
        for db in engines:
            await db.close()
    assert len(set(keys)) == 1 and len(keys[0]) == 32


async def test_a_data_dir_key_of_before_is_the_one_stored(tmp_path: Path) -> None:
    """An embedded server upgraded in place keeps its key, so its sessions' tokens stay valid."""
    legacy = "ab" * 32
    (tmp_path / "auth-secret").write_text(legacy + "\n")
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite3'}")
    await db.migrate()
    try:
        assert await load_csrf_key(db, tmp_path) == bytes.fromhex(legacy)
        (tmp_path / "auth-secret").unlink()
        assert await load_csrf_key(db, tmp_path) == bytes.fromhex(legacy)
    finally:
        await db.close()
