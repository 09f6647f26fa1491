"""Shared helpers for the versions tests: a real SQLite file with the app's schema."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from apiforge.store.db import Database
from apiforge.store.models import ApiVersion, Project
from apiforge.versions.history import store_version_files

EPOCH = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class HistoryDb:
    """The app's own database (migrated, as the server opens it) on a temp SQLite file, plus
    shortcuts to create projects and versions."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.engine = database.engine
        self.sessions = async_sessionmaker(database.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.database.transaction() as session:
            yield session

    async def close(self) -> None:
        await self.database.close()

    async def add_project(self, project_id: str, name: str = "Todo API") -> None:
        async with self.transaction() as session:
            session.add(
                Project(
                    id=project_id,
                    owner_id="owner",
                    name=name,
                    created_at=EPOCH,
                    updated_at=EPOCH,
                )
            )

    @staticmethod
    def new_version(
        project_id: str, number: int, *, status: str = "complete", prompt: str | None = None
    ) -> ApiVersion:
        return ApiVersion(
            id=f"{project_id}-v{number}",
            project_id=project_id,
            version_number=number,
            prompt=prompt if prompt is not None else f"prompt {number}",
            status=status,
            created_at=EPOCH + timedelta(minutes=number),
        )


async def open_history_db(path: Path) -> HistoryDb:
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.migrate()
    return HistoryDb(database)


async def write_history(
    db: HistoryDb,
    project_id: str,
    history: Sequence[tuple[str, Mapping[str, str]]],
    *,
    max_chain: int = 10,
    pass_previous: bool = False,
) -> None:
    """Create versions 1..len(history); a "failed" version stores no files (as the workflow)."""
    previous: Mapping[str, str] = {}
    for number, (status, files) in enumerate(history, start=1):
        async with db.transaction() as session:
            version = HistoryDb.new_version(project_id, number, status=status)
            session.add(version)
            await session.flush()
            if status == "failed":
                continue
            await store_version_files(
                session,
                version_id=version.id,
                project_id=project_id,
                version_number=number,
                files=files,
                previous=previous if pass_previous else None,
                max_chain=max_chain,
            )
        previous = files
