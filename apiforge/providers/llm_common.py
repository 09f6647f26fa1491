"""What the two LLM providers share: their options and the bounded retry of opening a stream.

The SDKs can retry by themselves; their clients are built with ``max_retries=0`` so that the
one retry loop is this one — bounded, honouring ``Retry-After``, and tested.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import Field, ValidationError

from apiforge.errors import InputError, ProviderError
from apiforge.providers.base import ProviderOptions
from apiforge.providers.errors import ProviderRateLimited, provider_error_from
from apiforge.settings import Settings

T = TypeVar("T")
OptionsT = TypeVar("OptionsT", bound="LLMOptions")


class LLMOptions(ProviderOptions):
    model: str
    max_tokens: int = Field(default=8192, gt=0, description="Most tokens in one reply")
    temperature: float | None = Field(default=None, ge=0, le=2, description="None: model default")
    budget_tokens: int = Field(default=24_000, gt=0, description="Prompt budget (files, history)")
    max_retries: int = Field(default=3, ge=0, description="Retries on rate limit / unavailable")
    first_backoff_s: float = Field(default=1.0, ge=0, description="First wait without Retry-After")
    max_wait_s: float = Field(default=30.0, ge=0, description="Longest wait before one retry")
    connect_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: float = Field(default=600.0, gt=0, description="Stalls: see stall_timeout_s")


def options_from_settings(
    options_type: type[OptionsT], settings: Settings, default_model: str
) -> OptionsT:
    """Options from APIFORGE_MODEL, the budget settings and APIFORGE_PROVIDER_OPTIONS (JSON)."""
    values: dict[str, Any] = {
        "model": settings.model or default_model,
        "max_tokens": settings.max_output_tokens,
        "budget_tokens": settings.context_budget_tokens,
        "max_retries": settings.provider_max_retries,
        "max_wait_s": settings.provider_max_wait_s,
    }
    values.update(settings.provider_options)
    try:
        return options_type.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise InputError(
            f"Bad provider options (APIFORGE_PROVIDER_OPTIONS): {problems}", code="bad_setting"
        ) from None


def backoff_delay(options: LLMOptions, retry: int, error: ProviderError) -> float:
    """Seconds to wait before retry number ``retry`` (0-based)."""
    if isinstance(error, ProviderRateLimited) and error.retry_after_s is not None:
        return error.retry_after_s
    return float(min(options.first_backoff_s * 2**retry, options.max_wait_s))


async def open_with_retries(
    open_stream: Callable[[], Awaitable[T]], *, options: LLMOptions, label: str
) -> T:
    """Open a stream, retrying retryable failures at most ``options.max_retries`` times."""
    retry = 0
    while True:
        try:
            return await open_stream()
        except Exception as exc:  # every SDK failure becomes a typed ProviderError
            error = provider_error_from(exc, label=label)
            if not error.retryable or retry >= options.max_retries:
                raise error from exc
            delay = backoff_delay(options, retry, error)
            if delay > options.max_wait_s:
                raise type(error)(
                    f"{error.message} The provider asks to wait {delay:.0f} s, longer than "
                    f"apiforge waits ({options.max_wait_s:.0f} s); try again later."
                ) from exc
            retry += 1
            await asyncio.sleep(delay)
