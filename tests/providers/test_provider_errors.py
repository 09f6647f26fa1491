"""Provider failures become typed errors with retryable; retries are bounded."""

from __future__ import annotations

import socket
import time

import pytest

from apiforge.errors import ProviderError
from apiforge.providers.base import GenerationRequest, StreamEnd, TextDelta
from apiforge.providers.errors import (
    ProviderAuthError,
    ProviderContextTooLong,
    ProviderModelNotFound,
    ProviderRateLimited,
    ProviderUnavailable,
)

from .protocols import Dialect, LLMProvider
from .scripted_server import ScriptedServer, json_reply

REQUEST = GenerationRequest(prompt="a todo API", version_number=1)


async def run(provider: LLMProvider) -> str:
    text = []
    try:
        async for output in provider.stream(REQUEST):
            if isinstance(output, TextDelta):
                text.append(output.text)
            else:
                assert isinstance(output, StreamEnd)
    finally:
        await provider.aclose()
    return "".join(text)


async def test_a_bad_key_is_not_retried(dialect: Dialect, server: ScriptedServer) -> None:
    server.script(json_reply(401, dialect.error_body("authentication_error", "invalid x-api-key")))
    with pytest.raises(ProviderAuthError) as caught:
        await run(dialect.provider(server.url))
    assert not caught.value.retryable and caught.value.code == "provider_auth"
    assert "invalid x-api-key" in caught.value.message and len(server.requests) == 1


async def test_an_unknown_model_says_which_setting_to_change(
    dialect: Dialect, server: ScriptedServer
) -> None:
    server.script(json_reply(404, dialect.error_body("not_found_error", "model: nope")))
    with pytest.raises(ProviderModelNotFound) as caught:
        await run(dialect.provider(server.url, model="nope"))
    assert "APIFORGE_MODEL" in caught.value.message and not caught.value.retryable


async def test_a_rate_limit_is_retried_after_the_time_asked(
    dialect: Dialect, server: ScriptedServer
) -> None:
    limited = json_reply(
        429, dialect.error_body("rate_limit_error", "slow down"), {"retry-after-ms": "300"}
    )
    server.script(limited, dialect.reply(["hello"]))
    started = time.monotonic()
    assert await run(dialect.provider(server.url)) == "hello"
    assert time.monotonic() - started >= 0.3
    assert len(server.requests) == 2


async def test_rate_limit_retries_are_bounded(dialect: Dialect, server: ScriptedServer) -> None:
    body = dialect.error_body("rate_limit_error", "slow down")
    server.script(*[json_reply(429, body, {"retry-after": "0"}) for _ in range(5)])
    with pytest.raises(ProviderRateLimited) as caught:
        await run(dialect.provider(server.url, max_retries=2))
    assert caught.value.retryable and len(server.requests) == 3


async def test_a_retry_after_longer_than_the_cap_fails_at_once(
    dialect: Dialect, server: ScriptedServer
) -> None:
    body = dialect.error_body("rate_limit_error", "quota")
    server.script(json_reply(429, body, {"retry-after": "120"}))
    with pytest.raises(ProviderRateLimited) as caught:
        await run(dialect.provider(server.url, max_wait_s=5))
    assert "asks to wait 120 s" in caught.value.message and len(server.requests) == 1


async def test_a_context_overflow_tells_the_user_what_to_do(
    dialect: Dialect, server: ScriptedServer
) -> None:
    message = "This model's maximum context length is 8192 tokens; you requested 9000"
    server.script(json_reply(400, dialect.error_body("invalid_request_error", message)))
    with pytest.raises(ProviderContextTooLong) as caught:
        await run(dialect.provider(server.url))
    assert "Fork this version" in caught.value.message and not caught.value.retryable


async def test_server_errors_are_retried_then_reported(
    dialect: Dialect, server: ScriptedServer
) -> None:
    body = dialect.error_body("api_error", "boom")
    server.script(json_reply(500, body), json_reply(503, body), dialect.reply(["ok"]))
    assert await run(dialect.provider(server.url)) == "ok"
    server.script(*[json_reply(500, body) for _ in range(3)])
    with pytest.raises(ProviderUnavailable):
        await run(dialect.provider(server.url))


async def test_an_unreachable_server_is_a_retryable_network_error(dialect: Dialect) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ProviderUnavailable) as caught:
        await run(dialect.provider(f"http://127.0.0.1:{port}", max_retries=1))
    assert caught.value.retryable and isinstance(caught.value, ProviderError)
    assert "could not reach" in caught.value.message
