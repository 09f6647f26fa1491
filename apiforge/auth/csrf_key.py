"""The CSRF signing key: one per deployment, in the app database, so every process accepts the
tokens of sessions signed in on any other (a browser needs no sticky routing).

Made by whichever process starts first: an insert that does nothing when the row exists
(``ON CONFLICT DO NOTHING`` on its primary key, in SQLite and PostgreSQL alike), then a read of
the row, so processes starting at once all read the one value that won. Why the database and not
a required ``APIFORGE_SECRET_KEY``: every process of a deployment shares the app database
already, an embedded server needs no new setting, and there is nothing to copy between hosts or
rotate by hand (delete the row and restart every process: all sessions need a new token, which
``GET /api/auth/me`` hands out).

Before this table, each data dir kept its own key in ``auth-secret``: when that file exists, its
key is the one stored, so a server upgraded in place keeps its sessions' tokens valid.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from apiforge.store.db import Database
from apiforge.store.models import ServerSecret
from apiforge.store.repository import now

CSRF_KEY_NAME = "csrf-key"
LEGACY_FILE = "auth-secret"


def _proposed_key(data_dir: Path) -> str:
    legacy = data_dir / LEGACY_FILE
    if legacy.is_file():
        return legacy.read_text().strip()
    return secrets.token_hex(32)


async def load_csrf_key(db: Database, data_dir: Path) -> bytes:
    """The deployment's key, stored by this call if no process stored one before."""
    insert = sqlite_insert if db.is_sqlite else postgres_insert
    row = {"name": CSRF_KEY_NAME, "value": _proposed_key(data_dir), "created_at": now()}
    async with db.transaction() as session:
        await session.execute(insert(ServerSecret).values(row).on_conflict_do_nothing())
        stored = await session.execute(
            select(ServerSecret.value).where(ServerSecret.name == CSRF_KEY_NAME)
        )
        return bytes.fromhex(stored.scalar_one())
