"""What the JSON API answers: one model per shape, shared by the server and the Python client.

The server builds them from the store's rows (the ``*_dict`` shapes of ``store.repository``),
which describes them in the OpenAPI document and checks them on the way out; ``client.py``
validates the answers into the same models. So this module imports neither the server nor the
store (the ``of`` builders import the store when called): the client stays light and FastAPI-free
(tests/core/test_core_client_types.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from apiforge.events.types import ValidatedAs
from apiforge.store.status import VersionStatus

if TYPE_CHECKING:
    from apiforge.store.models import ApiVersion, ChatMessage, Project


class ErrorDetail(BaseModel):
    # Stable and machine-readable (``not_found``, ``generation_running``, ``empty_prompt``, …).
    code: str
    message: str
    # Whether sending the same request again later may succeed.
    retryable: bool = False


class ErrorResponse(BaseModel):
    """Every error answer: ``{"error": {code, message, retryable}}``."""

    error: ErrorDetail


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int


class ValidationStage(BaseModel):
    """One sandbox stage a version went through (install, lint, boot, tests, …)."""

    stage: str
    ok: bool
    detail: str = ""
    duration_ms: int = 0
    problems: list[str] = Field(default_factory=list)
    metrics: list[tuple[str, float]] = Field(default_factory=list)
    # The app's own OpenAPI document (JSON text), read when it booted.
    openapi: str | None = None


class Version(BaseModel):
    id: str
    project_id: str
    number: int
    prompt: str
    summary: str
    # pending, generating, validating (still running); complete, failed, cancelled.
    status: VersionStatus
    created_at: str | None
    completed_at: str | None
    files_changed: int
    error: str | None
    usage: Usage
    cost_usd: float | None = Field(
        description="What the version cost in USD, from its tokens and the server's price for "
        "its model (APIFORGE_PRICES) when it ended; 0 for the offline engine and for restored "
        "or forked versions; null when not known (no price for the model, or still running)"
    )
    provider: str
    # None when the version was not validated (no validator, or it did not get that far).
    validation: list[ValidationStage] | None
    validated_as: ValidatedAs | None = Field(
        description="For a restored or forked version: the version whose validation report "
        "`validation` is, carried over because the files are byte-identical (no sandbox ran "
        "for this one); null when `validation` is this version's own, or there is none"
    )
    # prompt, regenerate, restore or fork.
    origin: str
    base_version_number: int | None

    @classmethod
    def of(cls, version: ApiVersion) -> Version:
        from apiforge.store import repository as repo

        return cls.model_validate(repo.version_dict(version))


class ProjectSummary(BaseModel):
    id: str
    name: str
    owner_id: str
    created_at: str | None
    updated_at: str | None
    latest_version: Version | None

    @classmethod
    def of(cls, project: Project, latest: ApiVersion | None) -> ProjectSummary:
        from apiforge.store import repository as repo

        return cls.model_validate(repo.project_dict(project, latest))


class Message(BaseModel):
    role: str
    content: str
    version_number: int | None
    created_at: str | None

    @classmethod
    def of(cls, message: ChatMessage) -> Message:
        from apiforge.store import repository as repo

        return cls.model_validate(repo.message_dict(message))


class ProjectAndVersion(BaseModel):
    """A project with the version just made in it (create, fork)."""

    project: ProjectSummary
    version: Version


class ProjectList(BaseModel):
    projects: list[ProjectSummary]


class ProjectUsage(BaseModel):
    """A project's tokens and cost: its versions' added up."""

    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None = Field(
        description="The sum of the versions' known costs in USD; null when no version's cost "
        "is known. When versions_without_cost > 0 it leaves those out"
    )
    versions_without_cost: int = Field(
        description="Versions whose cost is not known (null), running ones included"
    )

    @classmethod
    def of(cls, versions: list[Version]) -> ProjectUsage:
        known = [v.cost_usd for v in versions if v.cost_usd is not None]
        return cls(
            prompt_tokens=sum(v.usage.prompt_tokens for v in versions),
            completion_tokens=sum(v.usage.completion_tokens for v in versions),
            cost_usd=sum(known) if known else None,
            versions_without_cost=len(versions) - len(known),
        )


class ProjectDetail(BaseModel):
    project: ProjectSummary
    versions: list[Version]
    usage: ProjectUsage


class OneVersion(BaseModel):
    version: Version


class VersionList(BaseModel):
    versions: list[Version]


class VersionFiles(BaseModel):
    # Path → content, sorted by path.
    files: dict[str, str]


class MessageList(BaseModel):
    messages: list[Message]


class Cancelled(BaseModel):
    # False when no generation was running.
    cancelled: bool


class Health(BaseModel):
    status: str
    provider: str
    validator: str
    # Open live connections: lets operators (and tests) see that closed ones are gone.
    subscribers: int
    # The longest prompt accepted, so the UI can count against it before sending.
    max_prompt_chars: int
    # Which sign-in the server wants (docs/security.md): the UI shows its login page for password.
    auth: Literal["local", "password", "header"]


class FileChange(BaseModel):
    path: str
    operation: str  # created | modified | deleted
    unified_diff: str


class RouteChange(BaseModel):
    method: str
    path: str
    change: str  # added | removed | changed
    # For "changed": the top-level operation fields that differ (parameters, responses, …).
    fields: list[str] = Field(default_factory=list)


class RouteChanges(BaseModel):
    added: list[RouteChange] = Field(default_factory=list)
    removed: list[RouteChange] = Field(default_factory=list)
    changed: list[RouteChange] = Field(default_factory=list)


class VersionDiff(BaseModel):
    """Version ``version_number`` compared with ``against``, file by file."""

    project_id: str
    version_number: int
    against: int | None  # None: compared with an empty project (the first version)
    files: list[FileChange]
    # None unless both versions have an OpenAPI document.
    routes: RouteChanges | None


class ConnectionCounts(BaseModel):
    """Open connections to a project's live events, by transport."""

    sse: int
    websocket: int


class GenerationState(BaseModel):
    """The project's generation: the running version, or the latest one when idle."""

    # running: ``version_number`` is being generated (status pending, generating or validating).
    state: Literal["idle", "running"]
    # None (with the fields below) when the project has no version yet.
    version_number: int | None = None
    version_id: str | None = None
    status: VersionStatus | None = None
    # The step and progress (0-100) its events last reported; None when no step event of the
    # version is retained (a restore, a fork, or events trimmed away).
    step: Literal["planning", "generating", "validating", "complete"] | None = None
    progress: int | None = None


class ProjectPreview(BaseModel):
    """The project's one live preview, on the process that answered."""

    # running: serves ``serving_version`` at ``url``; starting: booting; stopped: none runs;
    # unavailable: previews are off on this server (``reason``).
    state: Literal["running", "starting", "stopped", "unavailable"]
    serving_version: int | None = None
    url: str | None = None
    reason: str | None = None
    # True while it runs a still-streaming version's files so far (a progressive preview).
    partial: bool = False


class StreamStatus(BaseModel):
    """What ``GET /api/projects/{id}/stream-status`` answers."""

    project_id: str
    connections: ConnectionCounts = Field(
        description="Open SSE and WebSocket connections to the project's events on the process "
        "that answered (SSE includes `POST /api/generate?stream=true` answers)"
    )
    connections_total: ConnectionCounts | None = Field(
        description="The same, summed over every API process sharing the redis bus "
        "(APIFORGE_BUS=redis; each process keeps its counts in Redis, and those of a process "
        "that stopped without removing them drop out within 30 s). None with the in-process "
        "bus, where `connections` is the total, or when Redis could not be read"
    )
    generation: GenerationState
    last_seq: int = Field(description="The project's newest event id (0: none yet)")
    preview: ProjectPreview


class GenerationResult(BaseModel):
    """What ``POST /api/generate`` answers once the generation ended, however it ended."""

    project: ProjectSummary
    # Its ``status`` says how it ended (complete, failed, cancelled), ``error`` why it failed,
    # ``validation`` what the sandbox found (None when it was not validated).
    version: Version
    # The version's files, path → content, sorted by path (none when it failed before any).
    files: dict[str, str]


class GenerationStillRunning(ErrorResponse):
    """``POST /api/generate``'s 504: the error shape, plus the version that goes on."""

    version: Version
