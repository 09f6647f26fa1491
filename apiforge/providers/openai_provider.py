"""Any OpenAI-compatible Chat Completions server, through the official ``openai`` SDK.

OpenAI itself, Azure-compatible gateways, Ollama, vLLM, llama.cpp's server, LM Studio and
OpenRouter all speak this protocol: point ``OPENAI_BASE_URL`` at them (docs/providers.md).
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator
from typing import Any, Literal

import openai
from openai.types.chat import ChatCompletionChunk

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

DEFAULT_MODEL = "gpt-4o-mini"
# Local servers ignore the key, but the SDK insists on one.
_LOCAL_PLACEHOLDER_KEY = "not-needed"


class OpenAIProvider:
    name = "openai"

    class Options(LLMOptions):
        model: str = DEFAULT_MODEL
        # Newer OpenAI reasoning models take only max_completion_tokens; most local servers
        # take max_tokens.
        max_tokens_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"

    def __init__(
        self, options: Options, *, api_key: str | None = None, base_url: str | None = None
    ) -> None:
        self.options = options
        self.label = f"openai {options.model}"
        self.model: str | None = options.model
        api_key = api_key or os.environ.get("OPENAI_API_KEY")
        base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        if not api_key and not base_url:
            raise ProviderAuthError(
                "The openai provider needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local "
                "server such as Ollama or vLLM)."
            )
        self._client = openai.AsyncOpenAI(
            api_key=api_key or _LOCAL_PLACEHOLDER_KEY,
            base_url=base_url,
            max_retries=0,
            timeout=openai.Timeout(options.read_timeout_s, connect=options.connect_timeout_s),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIProvider:
        return cls(options_from_settings(cls.Options, settings, DEFAULT_MODEL))

    async def aclose(self) -> None:
        await self._client.close()

    def _arguments(self, request: GenerationRequest) -> dict[str, Any]:
        conversation = build_conversation(request, budget_tokens=self.options.budget_tokens)
        messages: list[dict[str, str]] = [{"role": "system", "content": conversation.system}]
        messages += [{"role": t.role, "content": t.content} for t in conversation.messages]
        arguments: dict[str, Any] = {
            "model": self.options.model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            self.options.max_tokens_param: self.options.max_tokens,
        }
        if self.options.temperature is not None:
            arguments["temperature"] = self.options.temperature
        return arguments

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[ProviderOutput, None]:
        arguments = self._arguments(request)
        chunks: openai.AsyncStream[ChatCompletionChunk] = await open_with_retries(
            lambda: self._client.chat.completions.create(**arguments),
            options=self.options,
            label=self.label,
        )
        finish_reason: str | None = None
        usage: Usage | None = None  # a server may send no usage chunk
        understood = False
        try:
            async for chunk in chunks:
                understood = True
                if chunk.usage is not None:
                    usage = Usage(
                        prompt_tokens=chunk.usage.prompt_tokens,
                        completion_tokens=chunk.usage.completion_tokens,
                    )
                for choice in chunk.choices:
                    if choice.delta.content:
                        yield TextDelta(choice.delta.content)
                    finish_reason = choice.finish_reason or finish_reason
        except Exception as exc:  # every SDK/transport failure becomes a typed ProviderError
            raise provider_error_from(exc, label=self.label) from exc
        finally:
            await chunks.close()
        if finish_reason is None:
            raise stream_cut_short(self.label, understood=understood)
        yield StreamEnd(
            finish_reason="length" if finish_reason == "length" else "stop", usage=usage
        )
