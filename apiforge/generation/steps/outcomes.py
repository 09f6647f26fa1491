"""What the workflow's steps hand to each other: frozen, typed, and checkpointed by DBOS.

DBOS 3.4 stores a step's return value with pickle (``dbos/_serialization.py``), so on recovery a
finished step gives back these very classes. Renaming a field is a change mypy sees everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from apiforge.events.types import Usage
from apiforge.sandbox.base import StageResult

# How the streaming of an answer ended; the version's own status is decided at the end.
StreamStatus = Literal["generated", "failed", "cancelled"]


@dataclass(frozen=True)
class StreamError:
    """Why an answer could not be streamed (a provider error), as the chat and events say it."""

    code: str
    message: str
    retryable: bool = True
    raw_reply: str | None = None  # code "no_files": the reply, for the developer console


@dataclass(frozen=True)
class AttemptOutcome:
    """What one streamed answer — the first, or a fix round's — produced."""

    status: StreamStatus
    changes: Mapping[str, str | None] = field(default_factory=dict)  # None = deleted
    summary: str = ""
    prose: str = ""
    problems: tuple[str, ...] = ()
    # Edits that did not apply, by path: sent back to the model once.
    edit_failures: Mapping[str, str] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    error: StreamError | None = None
    files_seen: int = 0  # file blocks the parser found in the reply, complete or not


@dataclass(frozen=True)
class ValidationOutcome:
    """One validation run over the version's current files."""

    stages: tuple[StageResult, ...]
    ok: bool
    # What a fix round sends the model (``stage: file:line - message``).
    problems: tuple[str, ...] = ()
    failing_tests: int = 0
    openapi: str | None = None

    def failed_stages(self) -> list[StageResult]:
        return [stage for stage in self.stages if not stage.ok]


@dataclass(frozen=True)
class VersionOutcome:
    """The version so far: its answer(s) merged, its last validation, its fix rounds."""

    status: StreamStatus
    started: float  # wall clock (time.time) when streaming began: survives a restart
    changes: Mapping[str, str | None] = field(default_factory=dict)
    summary: str = ""
    prose: str = ""
    problems: tuple[str, ...] = ()
    edit_failures: Mapping[str, str] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    error: StreamError | None = None
    # Lines the chat message gets after the prose: validation summaries, round titles.
    notes: tuple[str, ...] = ()
    validation: ValidationOutcome | None = None  # None until validated (or validation is off)
    fix_round: int = 0
    round_started: float | None = None
    # What went wrong applying the last round's answer.
    round_problems: tuple[str, ...] = ()
    # A fix round could not run: the version keeps its validated files and ends failing.
    fix_failed: bool = False
    # Why the fix rounds stopped early (e.g. the model re-sent the same files), for the error.
    stop_reason: str = ""
    # The no-files rule: file blocks in the latest reply, and how many replies in a row had none.
    files_seen: int = 1
    replies_without_files: int = 0
    last_reply: str = ""

    @classmethod
    def first(cls, attempt: AttemptOutcome, started: float) -> VersionOutcome:
        return cls(
            status=attempt.status,
            started=started,
            changes=attempt.changes,
            summary=attempt.summary,
            prose=attempt.prose,
            problems=attempt.problems,
            edit_failures=attempt.edit_failures,
            usage=attempt.usage,
            error=attempt.error,
            files_seen=attempt.files_seen,
            last_reply=attempt.prose,
        )

    @property
    def validation_failed(self) -> bool:
        return self.validation is not None and not self.validation.ok

    def validated(self, validation: ValidationOutcome, note: str) -> VersionOutcome:
        return replace(self, validation=validation, notes=(*self.notes, note))
