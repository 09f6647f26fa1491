"""The event contract: every event a generation emits, in one discriminated union.

docs/events.md documents these for clients; keep the two in step. ``seq`` and ``ts`` are
assigned by the event log when an event is appended, so producers leave them at 0.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from apiforge.store.status import VersionStatus

Step = Literal["planning", "generating", "validating", "complete"]
FileOperation = Literal["created", "modified", "deleted"]


class BaseEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    project_id: str
    version_number: int
    seq: int = 0
    ts: float = 0.0

    # Fields measured anew each time (durations): an event re-sent after a restart repeats the
    # logged one when everything else is equal.
    MEASURED: ClassVar[frozenset[str]] = frozenset()


class VersionStart(BaseEvent):
    type: Literal["version:start"] = "version:start"
    version_id: str
    prompt: str


class StepStart(BaseEvent):
    type: Literal["step:start"] = "step:start"
    step: Step
    message: str
    progress: int = Field(ge=0, le=100)
    # After a restart whose re-run answered differently: drop what this version streamed so far.
    resumed: bool = False


class StepProgress(BaseEvent):
    type: Literal["step:progress"] = "step:progress"
    step: Step
    message: str
    progress: int = Field(ge=0, le=100)
    # "Resumed after a restart": the picture so far stays, the generation goes on from here.
    resumed: bool = False


class StepComplete(BaseEvent):
    type: Literal["step:complete"] = "step:complete"
    step: Step
    message: str
    duration_ms: int


class MessageChunk(BaseEvent):
    type: Literal["message:chunk"] = "message:chunk"
    text: str


class FileGenerating(BaseEvent):
    type: Literal["file:generating"] = "file:generating"
    path: str
    operation: FileOperation


class CodeChunk(BaseEvent):
    type: Literal["code:chunk"] = "code:chunk"
    path: str
    chunk: str
    offset: int


class FileComplete(BaseEvent):
    type: Literal["file:complete"] = "file:complete"
    path: str
    operation: FileOperation
    size: int
    sha256: str
    content: str


class ValidationStart(BaseEvent):
    type: Literal["validation:start"] = "validation:start"


class ValidationProgress(BaseEvent):
    type: Literal["validation:progress"] = "validation:progress"
    stage: str
    ok: bool
    detail: str = ""
    duration_ms: int = 0
    # Where the progress bar stands once this stage is done; None in events logged before
    # the field existed.
    progress: int | None = Field(default=None, ge=0, le=100)


class ValidatedAs(BaseModel):
    """The version a carried-over validation report was made for."""

    model_config = ConfigDict(frozen=True)

    project_id: str = Field(description="Its project: this one for a restore, another for a fork")
    version_number: int


class ValidationComplete(BaseEvent):
    type: Literal["validation:complete"] = "validation:complete"
    ok: bool
    stages: list[dict[str, Any]] = Field(default_factory=list)
    # Set for a restore or fork: no sandbox ran, these are its source's stages (same files).
    validated_as: ValidatedAs | None = None


class PreviewReady(BaseEvent):
    type: Literal["preview:ready"] = "preview:ready"
    url: str
    # True while the version still streams: the app booted from the files written so far.
    partial: bool = False


class PreviewError(BaseEvent):
    """A partial preview could not take the latest files; the last one that booted still runs."""

    type: Literal["preview:error"] = "preview:error"
    reason: str


class PreviewStopped(BaseEvent):
    """The version ended unvalidated and its partial preview stopped, with no earlier preview
    to serve again: the project has none running."""

    type: Literal["preview:stopped"] = "preview:stopped"
    reason: str


class Usage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


# How one provider call ended: "length" was cut at the reply's token limit (the next call
# continues it), "no_files" ended normally but the round's reply held no files.
CallOutcome = Literal["ok", "length", "no_files", "stalled", "error", "cancelled"]


class ProviderCall(BaseEvent):
    """One request to the provider, sent once its stream has ended (however it ended)."""

    type: Literal["provider:call"] = "provider:call"
    round: int = Field(ge=0)  # 0: the first answer; 1, 2…: the fix (or no-files) rounds
    # 0, then 1… for a continuation after a length cut or a retry after a dropped stream.
    call: int = Field(ge=0)
    provider: str
    model: str | None  # None: the offline engine
    # None: the provider reported no usage (a server that sends none, a stream that broke off).
    prompt_tokens: int | None
    completion_tokens: int | None
    # From asking the provider (its retries after a rate limit included): None when no text came.
    first_token_ms: int | None
    duration_ms: int
    outcome: CallOutcome
    error_code: str | None = None

    MEASURED: ClassVar[frozenset[str]] = frozenset({"first_token_ms", "duration_ms"})


class VersionComplete(BaseEvent):
    type: Literal["version:complete"] = "version:complete"
    summary: str
    files_changed: int
    duration_ms: int
    usage: Usage = Field(default_factory=Usage)
    # complete or failed (a version that ends cancelled sends ``cancelled`` instead).
    status: VersionStatus = VersionStatus.COMPLETE
    # USD, from APIFORGE_PRICES (apiforge/pricing.py); None: not known (the model has no
    # price, or no usage was reported).
    cost_usd: float | None = None


class Cancelled(BaseEvent):
    type: Literal["cancelled"] = "cancelled"
    reason: str


class ErrorEvent(BaseEvent):
    type: Literal["error"] = "error"
    code: str
    message: str
    retryable: bool = False
    # code "no_files": the model's reply that held no files, for the developer console.
    raw_reply: str | None = None


class Snapshot(BaseEvent):
    """Sent instead of a replay when the requested id is older than what is retained."""

    type: Literal["snapshot"] = "snapshot"
    version: dict[str, Any]
    step: str | None = None
    files: dict[str, str] = Field(default_factory=dict)


class ProjectDeleted(BaseEvent):
    """The project was deleted: the last event of its streams, which then end.

    Published on the bus only (the project's log is deleted with it), so ``seq`` is 0 and
    ``version_number`` is 0.
    """

    type: Literal["project:deleted"] = "project:deleted"


Event = Annotated[
    VersionStart
    | StepStart
    | StepProgress
    | StepComplete
    | MessageChunk
    | FileGenerating
    | CodeChunk
    | FileComplete
    | ValidationStart
    | ValidationProgress
    | ValidationComplete
    | PreviewReady
    | PreviewError
    | PreviewStopped
    | ProviderCall
    | VersionComplete
    | Cancelled
    | ErrorEvent
    | Snapshot
    | ProjectDeleted,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)

TERMINAL_TYPES = frozenset({"version:complete", "cancelled", "error"})


def parse_event(data: str | bytes) -> Event:
    return EVENT_ADAPTER.validate_json(data)
