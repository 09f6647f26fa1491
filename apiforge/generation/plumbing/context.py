"""What a running generation needs, gathered in one object owned by the app lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from apiforge.events.log import EventLog
from apiforge.generation.plumbing.files import apply_changes
from apiforge.providers.base import Provider
from apiforge.sandbox.base import Validator
from apiforge.settings import Settings
from apiforge.store.db import Database
from apiforge.versions.cache import VersionCache


class PreviewStarter(Protocol):
    async def start(self, project_id: str, version_number: int, files: dict[str, str]) -> str: ...

    async def stop(self, project_id: str) -> None: ...


@dataclass
class LiveState:
    """A running generation's progress, for snapshots sent to clients that fell too far back."""

    version_number: int
    step: str = "planning"
    base: Mapping[str, str] = field(default_factory=dict)
    # The assembler's staged changes, shared (not copied) so streaming does no extra work per
    # event; the file set is only put together when a snapshot asks for it.
    changes: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def files(self) -> dict[str, str]:
        return apply_changes(self.base, self.changes)


@dataclass
class GenerationRuntime:
    settings: Settings
    db: Database
    log: EventLog
    provider: Provider
    validator: Validator
    cache: VersionCache
    previews: PreviewStarter | None = None
    # Projects whose running generation was asked to stop; checked by the streaming loop.
    cancel_requested: dict[str, asyncio.Event] = field(default_factory=dict)
    live: dict[str, LiveState] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    def cancel_flag(self, project_id: str) -> asyncio.Event:
        return self.cancel_requested.setdefault(project_id, asyncio.Event())
