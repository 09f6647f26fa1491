"""The validator interface: run a version's files and report each stage as it finishes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class StageResult:
    """One validation stage's outcome, with everything generation needs from it typed here:
    the problems a fix round sends back, metrics (tests passed/total) and, from the boot stage,
    the app's own OpenAPI document."""

    stage: str
    ok: bool
    detail: str = ""
    duration_ms: int = 0
    # Machine-usable problems (``file:line - message``, failing tests with their assertion).
    problems: tuple[str, ...] = field(default=())
    metrics: tuple[tuple[str, float], ...] = field(default=())
    # The app's OpenAPI document (JSON text): lets a diff of two versions show changed routes.
    openapi: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The event payload (``validation:progress``): the four base fields only."""
        return {
            "stage": self.stage,
            "ok": self.ok,
            "detail": self.detail,
            "duration_ms": self.duration_ms,
        }

    def metric(self, name: str) -> float | None:
        return dict(self.metrics).get(name)


StageCallback = Callable[[StageResult], Awaitable[None]]


class Validator(Protocol):
    name: str

    def file_completed(self, project_id: str, path: str, content: str) -> None:
        """Called as each file of a version completes, before the stream ends, so stages
        that need only that file can start early. Only accepted files are told: a Python file
        among them parses (invariant 4), which a validator need not check again."""
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
