"""One error hierarchy for apiforge.

Every error carries a stable ``code`` (sent to clients), a user-facing ``message`` and
``retryable`` (whether trying the same thing again may succeed)::

    ApiforgeError
    ├── InputError            (4xx: the request itself is wrong)
    │   ├── NotFoundError
    │   ├── ConflictError
    │   │   └── GenerationRunning (409: a version is still being generated; retry after it ends)
    │   ├── AuthenticationRequired (401: no valid session, token or trusted header)
    │   ├── Forbidden          (403: wrong Host, cross-site Origin, missing CSRF token)
    │   └── RateLimited        (429: a per-user limit; carries retry_after_s)
    ├── GenerationError       (a generation could not produce a version)
    │   ├── PromptNotUnderstood
    │   ├── ParseError
    │   └── CancelledError
    ├── GenerationTimeout     (504: a waiting request gave up; the generation goes on)
    ├── ServerStopping        (503: the server is shutting down; try again)
    ├── ServiceUnavailable    (503: a service the request needs is away; retryable)
    │   └── DatabaseUnavailable (503: the app database cannot be reached)
    ├── InvalidSettings       (an APIFORGE_ variable is malformed: the process does not start)
    ├── ProviderError         (the LLM provider failed; see providers/errors)
    └── ValidationFailed      (the sandbox rejected a version)
"""

from __future__ import annotations


class ApiforgeError(Exception):
    code = "internal_error"
    status_code = 500
    retryable = False

    def __init__(self, message: str, *, code: str | None = None, retryable: bool | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InputError(ApiforgeError):
    code = "invalid_input"
    status_code = 422


class NotFoundError(InputError):
    code = "not_found"
    status_code = 404


class ConflictError(InputError):
    code = "conflict"
    status_code = 409


class GenerationRunning(ConflictError):
    """The project's running generation blocks the request; once it ends the same request may
    succeed, so clients may retry (unlike other conflicts)."""

    code = "generation_running"
    retryable = True


class AuthenticationRequired(InputError):
    code = "unauthenticated"
    status_code = 401


class Forbidden(InputError):
    code = "forbidden"
    status_code = 403


class RateLimited(InputError):
    code = "rate_limited"
    status_code = 429
    retryable = True

    def __init__(self, message: str, *, retry_after_s: int, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after_s = max(1, retry_after_s)


class ServiceUnavailable(ApiforgeError):
    """503: a service the request needs is away (e.g. the Redis the shared limits count in)."""

    code = "service_unavailable"
    status_code = 503
    retryable = True


class DatabaseUnavailable(ServiceUnavailable):
    """503: the database refused or dropped the connection (stopped, restarting, unreachable).
    Raised by ``store.db`` for every such failure, so each route answers it the same way."""

    code = "database_unavailable"

    def __init__(self, message: str = "The database is unreachable; try again in a moment"):
        super().__init__(message)


class DbosUnavailable(ServiceUnavailable):
    """503: DBOS's system database (where generations are recorded and queued) does not answer,
    so no generation can start; the app database may be up (``generation/dbos_health.py``)."""

    code = "dbos_unavailable"

    def __init__(
        self,
        message: str = "Generations cannot start: their queue's database is unreachable; "
        "try again in a moment",
    ):
        super().__init__(message)


class InvalidSettings(ApiforgeError):
    """An ``APIFORGE_`` environment variable (or the option setting it) is malformed."""

    code = "invalid_settings"


class GenerationError(ApiforgeError):
    code = "generation_failed"


class PromptNotUnderstood(GenerationError):
    """The request could not be read as an API request; nothing was changed."""

    code = "prompt_not_understood"
    status_code = 422


class ParseError(GenerationError):
    code = "parse_error"


class GenerationCancelled(GenerationError):
    code = "cancelled"


class GenerationTimeout(ApiforgeError):
    """``POST /api/generate`` stopped waiting; the version named here is still being made."""

    code = "generation_timeout"
    status_code = 504
    # Sending the same request again would start another generation: follow this one instead.
    retryable = False

    def __init__(
        self, message: str, *, project_id: str, version_number: int, code: str | None = None
    ):
        super().__init__(message, code=code)
        self.project_id = project_id
        self.version_number = version_number


class ServerStopping(ApiforgeError):
    code = "server_stopping"
    status_code = 503
    retryable = True


class ProviderError(ApiforgeError):
    code = "provider_error"
    status_code = 502


class ValidationFailed(ApiforgeError):
    code = "validation_failed"
