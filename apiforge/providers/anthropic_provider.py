"""Claude models through the official ``anthropic`` SDK (Messages API, streamed)."""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator
from typing import Any

import anthropic
from anthropic.types import RawMessageStreamEvent

from apiforge.events.types import Usage
from apiforge.providers.base import GenerationRequest, ProviderOutput, StreamEnd, TextDelta
from apiforge.providers.conversation import build_conversation
from apiforge.providers.errors import (
    ProviderAuthError,
    provider_error_from,
    stream_cut_short,
)
from apiforge.providers.llm_common import LLMOptions, open_with_retries, options_from_settings
from apiforge.settings import Settings

DEFAULT_MODEL = "claude-sonnet-4-5"


class AnthropicProvider:
    name = "anthropic"

    class Options(LLMOptions):
        model: str = DEFAULT_MODEL

    def __init__(
        self, options: Options, *, api_key: str | None = None, base_url: str | None = None
    ) -> None:
        self.options = options
        self.label = f"anthropic {options.model}"
        self.model: str | None = options.model
        api_key = api_key or os.environ.get("ANTHROPIC_API_KEY")
        if not api_key:
            raise ProviderAuthError("The anthropic provider needs ANTHROPIC_API_KEY.")
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=base_url or os.environ.get("ANTHROPIC_BASE_URL"),
            max_retries=0,
            timeout=anthropic.Timeout(options.read_timeout_s, connect=options.connect_timeout_s),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> AnthropicProvider:
        return cls(options_from_settings(cls.Options, settings, DEFAULT_MODEL))

    async def aclose(self) -> None:
        await self._client.close()

    def _arguments(self, request: GenerationRequest) -> dict[str, Any]:
        conversation = build_conversation(request, budget_tokens=self.options.budget_tokens)
        arguments: dict[str, Any] = {
            "model": self.options.model,
            "max_tokens": self.options.max_tokens,
            "system": conversation.system,
            "messages": [{"role": t.role, "content": t.content} for t in conversation.messages],
            "stream": True,
        }
        if self.options.temperature is not None:
            # Not every model takes a temperature; send it only when asked for.
            arguments["extra_body"] = {"temperature": self.options.temperature}
        return arguments

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[ProviderOutput, None]:
        arguments = self._arguments(request)
        events: anthropic.AsyncStream[RawMessageStreamEvent] = await open_with_retries(
            lambda: self._client.messages.create(**arguments),
            options=self.options,
            label=self.label,
        )
        prompt_tokens = completion_tokens = 0
        reported = False  # message_start carries the usage; a server could leave it out
        stop_reason: str | None = None
        understood = False
        try:
            async for event in events:
                understood = True
                if event.type == "message_start":
                    reported = True
                    prompt_tokens = _prompt_tokens(event.message.usage)
                    completion_tokens = event.message.usage.output_tokens
                elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                    yield TextDelta(event.delta.text)
                elif event.type == "message_delta":
                    stop_reason = event.delta.stop_reason or stop_reason
                    completion_tokens = event.usage.output_tokens
                    # Newer servers repeat the (cumulative) input count here.
                    prompt_tokens = max(prompt_tokens, event.usage.input_tokens or 0)
        except Exception as exc:  # every SDK/transport failure becomes a typed ProviderError
            raise provider_error_from(exc, label=self.label) from exc
        finally:
            await events.close()
        if stop_reason is None:
            raise stream_cut_short(self.label, understood=understood)
        usage_total = (
            Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
            if reported
            else None
        )
        yield StreamEnd(
            finish_reason="length" if stop_reason == "max_tokens" else "stop", usage=usage_total
        )


def _prompt_tokens(usage: anthropic.types.Usage) -> int:
    """Every input token, read from the cache or not: each is billed (at its own price)."""
    cached = (usage.cache_read_input_tokens or 0) + (usage.cache_creation_input_tokens or 0)
    return usage.input_tokens + cached
