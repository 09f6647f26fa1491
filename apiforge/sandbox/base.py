"""The validator interface: run a version's files and report each stage as it finishes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class StageResult:
    stage: str
    ok: bool
    detail: str = ""
    duration_ms: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


StageCallback = Callable[[StageResult], Awaitable[None]]


class Validator(Protocol):
    name: str

    def file_completed(self, project_id: str, path: str, content: str) -> None:
        """Called as each file of a version completes, before the stream ends, so stages
        that need only that file can start early."""
        ...

    async def validate(
        self, project_id: str, files: Mapping[str, str], on_stage: StageCallback
    ) -> list[StageResult]:
        """Run every stage in order, calling ``on_stage`` as each one finishes."""
        ...


class NoopValidator:
    """Accepts everything; used when validation is switched off."""

    name = "none"

    def file_completed(self, project_id: str, path: str, content: str) -> None:
        return None

    async def validate(
        self, project_id: str, files: Mapping[str, str], on_stage: StageCallback
    ) -> list[StageResult]:
        return []
