"""What an unsuccessful answer of an apiforge server means, as an error of errors.py."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
from pydantic import ValidationError

from apiforge.api_models import GenerationStillRunning
from apiforge.errors import (
    ApiforgeError,
    AuthenticationRequired,
    ConflictError,
    Forbidden,
    GenerationTimeout,
    InputError,
    NotFoundError,
    RateLimited,
)

_ERRORS_BY_STATUS: dict[int, type[ApiforgeError]] = {
    401: AuthenticationRequired,
    403: Forbidden,
    404: NotFoundError,
    409: ConflictError,
}


def _error_body(response: httpx.Response) -> tuple[str, str, bool | None]:
    """The answer's ``{"error": {code, message, retryable}}``, or a stand-in when it has none
    (a proxy's page, another program on the port)."""
    try:
        error = response.json()["error"]
        retryable = error.get("retryable")
        return (
            str(error["code"]),
            str(error["message"]),
            retryable if isinstance(retryable, bool) else None,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return "http_error", f"HTTP {response.status_code}: {response.text[:200]}", None


def retry_after_s(response: httpx.Response, default: int = 1) -> int:
    """``Retry-After`` in whole seconds: it may be a number or an HTTP date (RFC 9110)."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return default
    return max(default, round((when - datetime.now(UTC)).total_seconds()))


def error_of(response: httpx.Response) -> ApiforgeError:
    """The apiforge error an unsuccessful answer stands for (errors.py's hierarchy)."""
    code, message, retryable = _error_body(response)
    if response.status_code == 429:
        return RateLimited(message, retry_after_s=retry_after_s(response), code=code)
    default = InputError if response.status_code < 500 else ApiforgeError
    cls = _ERRORS_BY_STATUS.get(response.status_code, default)
    return cls(message, code=code, retryable=retryable)


def raise_for_error(response: httpx.Response) -> None:
    if not response.is_success:
        raise error_of(response)


def still_running_error(response: httpx.Response) -> ApiforgeError:
    try:
        answer = GenerationStillRunning.model_validate_json(response.content)
    except ValidationError:
        return error_of(response)  # not apiforge's 504 (a proxy's timeout page)
    version = answer.version
    return GenerationTimeout(
        answer.error.message, project_id=version.project_id, version_number=version.number
    )
