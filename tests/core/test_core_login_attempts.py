"""Sign-ins checked in-process against a real SQLite file: what the HTTP tests cannot force.

Sign-in attempts sent all at once must meet the failed-login limit as attempts sent one after
another do; a user without a password (made by header mode) costs as much as any other."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from apiforge.auth import accounts
from apiforge.auth.service import Accounts
from apiforge.errors import AuthenticationRequired, RateLimited
from apiforge.settings import Settings
from apiforge.store.db import Database

LIMIT = 3


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Accounts]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite3'}")
    await db.migrate()
    settings = Settings(data_dir=tmp_path, auth="password", login_attempts_per_minute=LIMIT)
    service = Accounts(settings, db)
    try:
        yield service
    finally:
        await service.aclose()
        await db.close()


async def _outcome(service: Accounts, password: str) -> str:
    try:
        await service.login("uma", password, "203.0.113.7")
    except (AuthenticationRequired, RateLimited) as refused:
        return refused.code
    return "signed_in"


async def test_attempts_sent_at_once_meet_the_failed_login_limit(service: Accounts) -> None:
    await service.create_user("uma", "uma-password-1", admin=False)
    outcomes = await asyncio.gather(*(_outcome(service, "wrong password") for _ in range(12)))
    # Each attempt is counted before its password is checked, so only LIMIT are checked at all.
    assert outcomes.count("bad_credentials") == LIMIT
    assert outcomes.count("too_many_logins") == 12 - LIMIT
    assert await _outcome(service, "uma-password-1") == "too_many_logins"


async def test_the_right_password_takes_back_the_failures(service: Accounts) -> None:
    await service.create_user("uma", "uma-password-1", admin=False)
    for _ in range(LIMIT - 1):
        assert await _outcome(service, "wrong password") == "bad_credentials"
    assert await _outcome(service, "uma-password-1") == "signed_in"
    # A person who typed it right is not slowed down: the count starts again.
    for _ in range(LIMIT):
        assert await _outcome(service, "wrong password") == "bad_credentials"
    assert await _outcome(service, "wrong password") == "too_many_logins"


async def test_a_user_without_a_password_costs_a_full_check(
    service: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Header mode makes users without a password; a sign-in as one must still run argon2 (on
    the decoy), or its quick answer would tell which such names exist."""
    checked: list[str | None] = []
    real = accounts.password_matches

    def recording(hasher: object, encoded: str | None, password: str) -> bool:
        checked.append(encoded)
        return real(service.hasher, encoded, password)

    monkeypatch.setattr(accounts, "password_matches", recording)
    await service.create_user("uma", None, admin=False)
    assert await _outcome(service, "any password") == "bad_credentials"
    assert checked and all(encoded and encoded.startswith("$argon2id$") for encoded in checked)
