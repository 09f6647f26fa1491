"""What the JSON API answers: one model per shape, built from the store's rows.

The shapes are those ``store.repository``'s ``*_dict`` functions give (the web UI, the CLI and
the Python client read them); these models describe them in the OpenAPI document and check them
on the way out.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from apiforge.store import repository as repo
from apiforge.store.models import ApiVersion, ChatMessage, Project


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
    status: str
    created_at: str | None
    completed_at: str | None
    files_changed: int
    error: str | None
    usage: Usage
    provider: str
    # None when the version was not validated (no validator, or it did not get that far).
    validation: list[ValidationStage] | None
    # prompt, regenerate, restore or fork.
    origin: str
    base_version_number: int | None

    @classmethod
    def of(cls, version: ApiVersion) -> Version:
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
        return cls.model_validate(repo.project_dict(project, latest))


class Message(BaseModel):
    role: str
    content: str
    version_number: int | None
    created_at: str | None

    @classmethod
    def of(cls, message: ChatMessage) -> Message:
        return cls.model_validate(repo.message_dict(message))


class ProjectAndVersion(BaseModel):
    """A project with the version just made in it (create, fork)."""

    project: ProjectSummary
    version: Version


class ProjectList(BaseModel):
    projects: list[ProjectSummary]


class ProjectDetail(BaseModel):
    project: ProjectSummary
    versions: list[Version]


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
