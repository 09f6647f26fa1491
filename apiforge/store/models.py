"""The relational schema. Alembic migrations in store/migrations create exactly this."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from apiforge.store.status import VersionStatus


class StatusColumn(TypeDecorator[VersionStatus]):
    """Stored as the plain string (the schema is unchanged), read back as a VersionStatus."""

    impl = String(16)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else VersionStatus(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> VersionStatus | None:
        return None if value is None else VersionStatus(value)


class UtcDateTime(TypeDecorator[datetime]):
    """A moment in UTC, always read back with its zone: SQLite keeps no zone and handed back
    naive datetimes, which every reader then had to mend (nine places did)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value  # type: ignore[no-any-return]
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]


class Base(DeclarativeBase):
    pass


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Highest seq handed out (or reserved) for this project's events; see events/log.py.
    seq_reserved: Mapped[int] = mapped_column(Integer, default=0)
    # Highest seq removed by retention: a client asking to resume from before it gets a snapshot.
    events_trimmed_through: Mapped[int] = mapped_column(Integer, default=0)


class ApiVersion(Base):
    __tablename__ = "api_versions"
    __table_args__ = (UniqueConstraint("project_id", "version_number"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    version_number: Mapped[int] = mapped_column(Integer)
    prompt: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    # Set only by generation/version_run.py; a new version starts pending.
    status: Mapped[VersionStatus] = mapped_column(StatusColumn(), default=VersionStatus.PENDING)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # When a person pressed Stop, on whichever process; the running generation polls it.
    stop_requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    files_changed: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    # USD, worked out when the version ended (apiforge/pricing.py); null: not known.
    cost_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    provider: Mapped[str] = mapped_column(String(100), default="")
    # JSON list of validation stage results, or null before validation ran.
    validation: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A restore or fork carries its source's report: the version that report was made for
    # (no foreign key: a fork's source project may be deleted later). Null: its own, or none.
    validated_as_project_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    validated_as_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # What produced it: prompt, restore, regenerate, fork.
    origin: Mapped[str] = mapped_column(String(16), default="prompt")
    # The app's OpenAPI document as the sandbox saw it at boot (JSON), for route diffs.
    openapi: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The version whose files a generation starts from; None means the one just before it.
    base_version_number: Mapped[int | None] = mapped_column(Integer, nullable=True)


class VersionFile(Base):
    """One file change of a version. Unchanged files store nothing.

    ``full_content`` or ``content_diff`` (against the previous version's content) is set;
    ``sha256`` is always the hash of the full content so reconstruction can be checked.
    """

    __tablename__ = "version_files"
    __table_args__ = (UniqueConstraint("version_id", "file_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[str] = mapped_column(
        ForeignKey("api_versions.id", ondelete="CASCADE"), index=True
    )
    file_path: Mapped[str] = mapped_column(String(255))
    operation: Mapped[str] = mapped_column(String(10))
    content_diff: Mapped[str | None] = mapped_column(Text, nullable=True)
    full_content: Mapped[str | None] = mapped_column(Text, nullable=True)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    # How many diffs separate this row from the nearest full snapshot (0 = full content).
    chain_length: Mapped[int] = mapped_column(Integer, default=0)


class ChatMessage(Base):
    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[str | None] = mapped_column(
        ForeignKey("api_versions.id", ondelete="SET NULL"), nullable=True
    )
    version_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StoredEvent(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_project_version", "project_id", "version_number"),)

    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_number: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[str] = mapped_column(Text)


class User(Base):
    """An account (password and header modes). Local mode has none: its owner is ``"local"``."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # argon2id (argon2-cffi's encoded form); None for users a trusted proxy signs in.
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set by an admin: no sign-in, session, token or proxy header acts as this user.
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # sha256 of the secret (see auth/accounts.py for why not argon2).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginSession(Base):
    __tablename__ = "sessions"

    # sha256 of the cookie's value: a stolen database does not hold usable cookies.
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ServerSecret(Base):
    """A secret all processes of a deployment share, made once by whichever starts first
    (``auth/csrf_key.py``). Whoever reads this table can forge CSRF tokens, as whoever reads
    the database can already do anything: it is kept with the data it protects."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Executor(Base):
    """A process (its DBOS executor id) and when it last said it was alive (failover.py)."""

    __tablename__ = "executors"

    executor_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The last take-over of this (dead) executor's generations, and by whom: a claim, so one
    # live process does it; it lapses after the failover time in case the taker dies too.
    swept_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    swept_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The DBOS application version it runs: only a process of the same version can resume its
    # generations (NULL: a row from before migration 0010).
    app_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # Its host (APIFORGE_PREVIEW_HOST, as in ``previews``), and where processes of other hosts
    # reach its HTTP server (APIFORGE_INTERNAL_URL), if anywhere.
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    internal_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)


class RunningPreview(Base):
    """A project's running preview and the process that runs it (sandbox/preview_registry.py):
    any process on ``host`` reaches it through the socket under ``job_dir``."""

    __tablename__ = "previews"

    project_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    version_number: Mapped[int] = mapped_column(Integer)
    job_dir: Mapped[str] = mapped_column(String(1000))
    # A still-streaming version's files so far: its full preview replaces it when it ends.
    partial: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    host: Mapped[str] = mapped_column(String(255))
    executor_id: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Bumped (at most once a second) by whichever process proxies a request to it; the owner
    # reads it before reaping, so a preview used only through other processes is not idle.
    last_used_at: Mapped[datetime] = mapped_column(UtcDateTime)
