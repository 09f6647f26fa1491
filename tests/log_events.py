"""A project to log events for, and an event to log: for tests of the event log and the buses."""

from __future__ import annotations

from apiforge.events.types import MessageChunk
from apiforge.store import repository as repo
from apiforge.store.db import Database


async def new_project(db: Database) -> str:
    async with db.transaction() as session:
        return (await repo.create_project(session, name="p", owner_id="local")).id


def chunk(project_id: str, text: str) -> MessageChunk:
    return MessageChunk(project_id=project_id, version_number=1, text=text)
