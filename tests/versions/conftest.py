from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .versions_support import HistoryDb, open_history_db


@pytest.fixture
async def history_db(tmp_path: Path) -> AsyncIterator[HistoryDb]:
    db = await open_history_db(tmp_path / "history.sqlite3")
    try:
        yield db
    finally:
        await db.close()
