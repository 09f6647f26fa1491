"""What can go wrong talking to an LLM, as typed errors people can act on.

One table maps the failures of both SDKs (``openai`` and ``anthropic`` share their exception
names and HTTP statuses) to a :class:`~apiforge.errors.ProviderError` subclass with a stable
``code``, a user-facing message and ``retryable``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from apiforge.errors import ProviderError

if TYPE_CHECKING:
    import httpx2


class ProviderAuthError(ProviderError):
    code = "provider_auth"


class ProviderModelNotFound(ProviderError):
    code = "provider_model_not_found"


class ProviderRateLimited(ProviderError):
    code = "provider_rate_limited"
    retryable = True

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ProviderContextTooLong(ProviderError):
    code = "provider_context_too_long"


class ProviderBadRequest(ProviderError):
    code = "provider_bad_request"


class ProviderUnavailable(ProviderError):
    """Network failure, server error or overload: worth trying again."""

    code = "provider_unavailable"
    retryable = True


class ProviderStalled(ProviderError):
    code = "provider_stalled"
    retryable = True


class ProviderBadResponse(ProviderError):
    """The server answered with something that is not the streaming protocol."""

    code = "provider_bad_response"
    retryable = True


@dataclass(frozen=True)
class _Entry:
    error: type[ProviderError]
    message: str


# {label} is e.g. "openai gpt-4o-mini"; {detail} is the server's own words.
_BY_STATUS: dict[int, _Entry] = {
    401: _Entry(
        ProviderAuthError,
        "{label}: the API key was rejected ({detail}). Check OPENAI_API_KEY / ANTHROPIC_API_KEY.",
    ),
    403: _Entry(
        ProviderAuthError,
        "{label}: this key may not use this model or endpoint ({detail}).",
    ),
    404: _Entry(
        ProviderModelNotFound,
        "{label}: model not found ({detail}). Set APIFORGE_MODEL to a model this server offers.",
    ),
    413: _Entry(ProviderContextTooLong, "{label}: the request is too large ({detail}). {advice}"),
    429: _Entry(ProviderRateLimited, "{label}: rate limited ({detail}). Try again shortly."),
    529: _Entry(ProviderUnavailable, "{label}: the provider is overloaded ({detail})."),
}
_SERVER_ERROR = _Entry(ProviderUnavailable, "{label}: the provider failed ({detail}).")
_BAD_REQUEST = _Entry(ProviderBadRequest, "{label}: the provider refused the request ({detail}).")
_CONTEXT = _Entry(
    ProviderContextTooLong, "{label}: the conversation is too long ({detail}). {advice}"
)
_NETWORK = _Entry(ProviderUnavailable, "{label}: could not reach the provider ({detail}).")
_GARBAGE = _Entry(ProviderBadResponse, "{label}: the provider sent an unreadable reply ({detail}).")

CONTEXT_ADVICE = (
    "Fork this version into a new project (a shorter history), ask for a smaller change, "
    "or choose a model with a longer context window (APIFORGE_MODEL)."
)
_CONTEXT_WORDS = re.compile(
    r"context.length|context window|maximum context|too many tokens|prompt is too long"
    r"|maximum.*tokens|input is too long|reduce the length",
    re.IGNORECASE,
)
# Error types carried in the body (Anthropic's stream error events arrive with HTTP 200).
_BY_BODY_TYPE = {
    "overloaded_error": 529,
    "rate_limit_error": 429,
    "api_error": 500,
    "authentication_error": 401,
    "not_found_error": 404,
}


def retry_after_seconds(headers: httpx2.Headers | None) -> float | None:
    """``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date), if the server sent one."""
    if headers is None:
        return None
    if (millis := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def stream_cut_short(label: str, *, understood: bool) -> ProviderError:
    """A stream that ended without saying why: cut off, or never a stream at all."""
    if understood:
        return ProviderUnavailable(f"{label}: the stream ended before the reply did.")
    return ProviderBadResponse(f"{label}: the reply was not a streaming response.")


def provider_error_from(exc: BaseException, *, label: str) -> ProviderError:
    """The typed error for an exception raised by either SDK (or by httpx beneath it)."""
    # Imported here: the SDKs take seconds to import, and the offline engine needs neither.
    import anthropic
    import httpx2
    import openai

    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, openai.APIStatusError | anthropic.APIStatusError):
        return _from_status(exc.status_code, exc, exc.response.headers, label)
    if isinstance(exc, openai.APIConnectionError | anthropic.APIConnectionError | httpx2.HTTPError):
        return _build(_NETWORK, label, _detail(exc))
    if isinstance(exc, openai.APIResponseValidationError | anthropic.APIResponseValidationError):
        return _build(_GARBAGE, label, _detail(exc))
    if isinstance(exc, openai.APIError | anthropic.APIError):
        status = _BY_BODY_TYPE.get(_body_type(exc.body), 0)
        return (
            _from_status(status, exc, None, label)
            if status
            else _build(_GARBAGE, label, _detail(exc))
        )
    return _build(_GARBAGE, label, _detail(exc))


def _from_status(
    status: int, exc: BaseException, headers: httpx2.Headers | None, label: str
) -> ProviderError:
    detail = _detail(exc)
    if status in (400, 422) and _CONTEXT_WORDS.search(detail):
        return _build(_CONTEXT, label, detail)
    entry = _BY_STATUS.get(status)
    if entry is None:
        entry = _SERVER_ERROR if status >= 500 or status == 0 else _BAD_REQUEST
    error = _build(entry, label, detail)
    if isinstance(error, ProviderRateLimited):
        error.retry_after_s = retry_after_seconds(headers)
    return error


def _build(entry: _Entry, label: str, detail: str) -> ProviderError:
    message = entry.message.format(label=label, detail=detail, advice=CONTEXT_ADVICE)
    return entry.error(message)


def _body_type(body: Any) -> str:
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            return str(error.get("type", ""))
    return ""


def _detail(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
    return (str(exc) or type(exc).__name__)[:300]
