"""All configuration in one place: environment variables with the prefix ``APIFORGE_``."""

from __future__ import annotations

import hashlib
import re
import socket
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from apiforge.errors import InvalidSettings

ENV_PREFIX = "APIFORGE_"


class ModelPrice(BaseModel):
    """What one model's tokens cost, in USD per million tokens (as providers list them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0, description="USD per million prompt tokens")
    output: float = Field(ge=0, description="USD per million completion tokens")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    # Per user, not per working directory: `apiforge serve` and the CLI run from anywhere must
    # see the same projects.
    data_dir: Path = Field(
        default=Path("~/.local/share/apiforge"),
        validate_default=True,
        description="Where databases and work dirs live (`~` is expanded)",
    )
    host: str = Field(default="127.0.0.1", description="Address the server binds")
    port: int = Field(default=8000, ge=0, le=65535, description="Port the server binds")
    database_url: str | None = Field(
        default=None, description="App database URL; default: SQLite file in the data dir"
    )
    dbos_database_url: str | None = Field(
        default=None, description="DBOS system database URL; default: SQLite file in the data dir"
    )
    application_version: str = Field(
        default="apiforge-1", description="Pinned DBOS application version (recovery matches it)"
    )
    executor_id: str | None = Field(
        default=None,
        description="DBOS executor id (recovery takes over this id's pending workflows); "
        "default: `local` on the data dir's own SQLite, else host name + data dir",
    )
    role: Literal["all", "api", "worker"] = Field(
        default="all",
        description="all: serve and run generations; api: serve and queue them; "
        "worker (`apiforge worker`): run queued ones",
    )
    worker_concurrency: int = Field(
        default=2,
        ge=1,
        description="Queued generations each worker runs at once: one value for all workers, "
        "the last worker to start sets it (at most `queue_concurrency`, when that is set)",
    )
    queue_concurrency: int = Field(
        default=0,
        ge=0,
        description="Queued generations all workers run at once (0 = no limit); set by the "
        "last worker to start",
    )
    queue_poll_ms: float = Field(
        default=100.0,
        gt=0,
        description="How often a worker looks for queued generations (DBOS queue polling); "
        "set by the last worker to start",
    )
    provider: str = Field(
        default="auto", description="offline, openai, anthropic, or auto (offline without a key)"
    )
    model: str | None = Field(default=None, description="Model name for an LLM provider")
    engine_delay_ms: float = Field(
        default=0.0, description="Offline engine pacing per chunk (0 = as fast as possible)"
    )
    stop_poll_ms: float = Field(
        default=500.0,
        gt=0,
        description="How often a streaming generation reads whether Stop was pressed elsewhere",
    )
    failover_after_s: float = Field(
        default=15.0,
        gt=0,
        description="A process silent this long is dead: a live one takes over its generations "
        "(shared DBOS database only; each process beats every fifth of it)",
    )
    stream_auth_check_s: float = Field(
        default=3.0,
        gt=0,
        description="How often each process re-reads the credentials of its open SSE and "
        "WebSocket streams: a stream whose session, token or user was ended elsewhere closes "
        "within this (at once when ended in the same process)",
    )
    max_prompt_chars: int = Field(default=8000, description="Longest prompt accepted")
    ping_interval_s: float = Field(default=15.0, description="SSE heartbeat comment interval")
    generate_wait_s: float = Field(
        default=120.0,
        gt=0,
        description="Longest `POST /api/generate` waits for its generation before answering 504 "
        "(the generation goes on)",
    )
    chunk_coalesce_ms: float = Field(
        default=50.0, description="code:chunk events per file are merged to one per this window"
    )
    event_flush_ms: float = Field(
        default=0.0,
        ge=0,
        description="Batch window for event persistence (0 = group commit: write as soon as "
        "the last batch is written); events reach clients only once written",
    )
    event_retention: int = Field(
        default=100_000, description="Events kept per project before older ones are dropped"
    )
    event_batch_max: int = Field(default=500, description="Most events written per transaction")
    bus: str = Field(
        default="memory",
        description="Live event bus: memory (one process) or redis (processes share events)",
    )
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0", description="Redis server of the redis bus"
    )
    redis_prefix: str = Field(
        default="apiforge:", description="Prefix of the redis bus's keys (one per deployment)"
    )
    redis_stream_maxlen: int = Field(
        default=10_000, gt=0, description="Entries a project's Redis stream keeps (approximate)"
    )
    validator: str = Field(default="auto", description="Validator: auto, sandbox, none")
    sandbox_unsafe_local: bool = Field(
        default=False,
        description="UNSAFE: without bubblewrap, run generated code as plain local processes",
    )
    sandbox_slots: int = Field(default=2, description="Validations that may run at once")
    sandbox_first_uid: int = Field(
        default=62000, description="First unprivileged uid of the sandbox slots (as root)"
    )
    sandbox_memory_mb: int = Field(default=768, description="Memory per sandboxed process tree")
    sandbox_disk_mb: int = Field(default=64, description="Size of the sandbox's /app and /tmp")
    sandbox_max_processes: int = Field(default=128, description="Processes+threads per sandbox")
    sandbox_boot_timeout_s: float = Field(default=15.0, description="Time for the app to serve")
    sandbox_tests_timeout_s: float = Field(default=60.0, description="Time for the test suite")
    sandbox_fuzz_s: float = Field(
        default=2.0, description="Fuzz stage's wall-clock bound, start-up included (0 = off)"
    )
    preview_max: int = Field(default=4, description="Previews running at once (LRU evicted)")
    preview_idle_s: float = Field(default=900.0, description="A preview stops after this idle")
    preview_socket_dir: Path | None = Field(
        default=None,
        description="Where previews' sockets live (default: the data dir's sandbox dir); "
        "processes on one host that share it serve each other's previews",
    )
    preview_host: str | None = Field(
        default=None,
        description="Name of the machine whose processes share the preview socket dir "
        "(default: the host name); must differ between machines",
    )
    internal_url: str | None = Field(
        default=None,
        description="URL at which other hosts' processes reach this one's HTTP server, e.g. "
        "`http://10.0.0.5:8000`: previews on this host are forwarded to it (unset: 503)",
    )
    max_continuations: int = Field(
        default=2, description="Times a model cut off for length is asked to continue"
    )
    stall_timeout_s: float = Field(
        default=60.0, description="Abort (and retry once) a provider stream silent this long"
    )
    fix_rounds: int = Field(
        default=2, ge=0, description="Times a failed validation is sent back to the model (0 = off)"
    )
    history_turns: int = Field(default=20, description="Chat turns sent along with a follow-up")
    version_max_chain: int = Field(
        default=10, ge=0, description="Most diffs between full snapshots of a stored file"
    )
    version_cache_bytes: int = Field(
        default=64 * 1024 * 1024, ge=0, description="Memory for reconstructed versions (LRU)"
    )
    provider_options: dict[str, Any] = Field(
        default={}, description='JSON provider options, e.g. {"temperature": 0.2}; unknown = error'
    )
    provider_max_retries: int = Field(
        default=3, ge=0, description="Retries of a rate-limited or unavailable LLM call"
    )
    provider_max_wait_s: float = Field(
        default=30.0, ge=0, description="Longest wait before one retry (a longer Retry-After fails)"
    )
    prices: dict[str, ModelPrice] = Field(
        default={},
        description="JSON USD per million tokens by model (as APIFORGE_MODEL names it), e.g. "
        '{"gpt-4o-mini": {"input": 0.15, "output": 0.6}}; a model without one: cost unknown',
    )
    max_output_tokens: int = Field(default=8192, gt=0, description="Most tokens in one LLM reply")
    context_budget_tokens: int = Field(
        default=24_000, gt=0, description="Prompt budget for previous files and chat history"
    )
    auth: Literal["local", "password", "header"] = Field(
        default="local",
        description="local: no login, loopback only; password: accounts; header: trusted proxy",
    )
    auth_header: str = Field(
        default="X-Forwarded-User", description="Header mode: the header naming the user"
    )
    trusted_proxies: list[str] = Field(
        default=[], description="Header mode: proxy addresses or networks trusted (JSON list)"
    )
    admin_username: str | None = Field(
        default=None, description="First admin's name, created at start-up when no user exists"
    )
    admin_password: str | None = Field(default=None, description="First admin's password")
    session_hours: float = Field(default=24 * 14, gt=0, description="A login lasts this long")
    login_attempts_per_minute: int = Field(
        default=5, ge=1, description="Failed logins per username and client per minute"
    )
    allowed_hosts: list[str] = Field(
        default=[], description="Host names accepted besides loopback ones (JSON list)"
    )
    insecure_no_auth: bool = Field(
        default=False, description="UNSAFE: allow local mode (no login) on a non-loopback address"
    )
    limit_generations: int = Field(
        default=2, ge=0, description="Generations one user may run at once (0 = no limit)"
    )
    limit_writes_per_minute: int = Field(
        default=120, ge=0, description="Write requests per user per minute (0 = no limit)"
    )
    limit_versions_per_hour: int = Field(
        default=100, ge=0, description="New versions of one project per hour (0 = no limit)"
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Server log level"
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="Server logs: text (human-readable) or json (one object per line, stderr)",
    )

    @field_validator("data_dir", "preview_socket_dir")
    @classmethod
    def _expand_home(cls, value: Path | None) -> Path | None:
        return None if value is None else value.expanduser()

    @model_validator(mode="after")
    def _roles_share(self) -> Settings:
        # An api process's queue and events must reach workers and come back from them.
        if self.role != "all" and (self.bus == "memory" or not self.dbos_database_url):
            raise ValueError(
                f"role {self.role!r} needs APIFORGE_DBOS_DATABASE_URL (a shared DBOS database) "
                "and a shared APIFORGE_BUS (redis); see docs/deploy.md"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'apiforge.sqlite3').resolve()}"

    @property
    def resolved_dbos_url(self) -> str:
        if self.dbos_database_url:
            return self.dbos_database_url
        return f"sqlite:///{(self.data_dir / 'dbos.sqlite3').resolve()}"

    @property
    def resolved_preview_host(self) -> str:
        """The name of this machine among the deployment's (previews, heartbeats)."""
        return self.preview_host or socket.gethostname()

    @property
    def resolved_executor_id(self) -> str:
        """Who this process is to DBOS. At launch DBOS recovers the pending workflows recorded
        under this id, so it must be unique among live processes and the same across a restart.

        The data dir's own SQLite system database is private to the one process serving that dir
        (its ``server.lock``), so DBOS's own ``local`` stays (and pending workflows recorded
        before this setting existed still recover). A shared system database gets host name +
        data dir: a host runs one process per data dir, and a restarted process keeps its dir,
        so it takes back its own workflows. Not the port: the embedded server's is random.
        """
        if self.executor_id:
            return self.executor_id
        if not self.dbos_database_url:
            return "local"
        digest = hashlib.sha256(str(self.data_dir.resolve()).encode()).hexdigest()[:12]
        return f"{socket.gethostname()}-{digest}"


def invalid_settings(error: ValidationError | SettingsError) -> InvalidSettings | None:
    """What a person must fix, naming the variable, for an error building :class:`Settings`
    (pydantic's own names the field only, after a traceback); None for any other error."""
    if isinstance(error, SettingsError):
        # pydantic-settings names the field in its message and keeps JSON's complaint as cause.
        named = re.search(r'field "(\w+)"', str(error))
        if named is None:
            return None
        why = f"not valid JSON ({error.__cause__})" if error.__cause__ else str(error)
        return InvalidSettings(f"{ENV_PREFIX}{named[1].upper()}: {why}")
    if error.title != Settings.__name__:
        return None
    problems = []
    for problem in error.errors(include_url=False):
        field, *inside = [str(part) for part in problem["loc"]] or [""]
        name = f"{ENV_PREFIX}{field.upper()}" if field else "settings"  # a model validator's
        where = f" ({'.'.join(inside)})" if inside else ""
        problems.append(f"{name}{where}: {problem['msg']}")
    return InvalidSettings("; ".join(problems))


def settings_from_environment() -> Settings:
    """:class:`Settings` from the ``APIFORGE_`` variables; a malformed one raises
    :class:`InvalidSettings` naming it (for ``uvicorn --factory`` users of ``create_app`` too)."""
    try:
        return Settings()
    except (ValidationError, SettingsError) as error:
        if (invalid := invalid_settings(error)) is None:
            raise
        raise invalid from None
