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

    async def validate(
        self, project_id: str, files: Mapping[str, str], on_stage: StageCallback
    ) -> list[StageResult]:
        """Run every stage in order, calling ``on_stage`` as each one finishes."""
        ...


class NoopValidator:
    """Accepts everything; used when validation is switched off."""

    name = "none"

    async def validate(
        self, project_id: str, files: Mapping[str, str], on_stage: StageCallback
    ) -> list[StageResult]:
        return []
