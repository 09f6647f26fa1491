"""The two streaming protocols, as the scripted server speaks them, and a provider for each."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from apiforge.providers.anthropic_provider import AnthropicProvider
from apiforge.providers.openai_provider import OpenAIProvider

from .scripted_server import Reply, Step

Name = Literal["openai", "anthropic"]
LLMProvider = OpenAIProvider | AnthropicProvider


def _sse(data: dict[str, Any], event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


def _openai_chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m"}
    return _sse({**chunk, "choices": [choice]})


@dataclass(frozen=True)
class Dialect:
    name: Name

    def opening(self, texts: list[str], prompt_tokens: int = 0) -> list[Step]:
        """The start of a reply carrying ``texts``, without its end."""
        if self.name == "openai":
            return [_openai_chunk({"role": "assistant", "content": t}) for t in texts]
        start: dict[str, Any] = {"id": "msg_1", "type": "message", "role": "assistant"}
        start["model"] = "m"
        start |= {"content": [], "stop_reason": None, "stop_sequence": None}
        start["usage"] = {"input_tokens": prompt_tokens, "output_tokens": 1}
        block: dict[str, Any] = {"type": "content_block_start", "index": 0}
        block["content_block"] = {"type": "text", "text": ""}
        steps: list[Step] = [
            _sse({"type": "message_start", "message": start}, "message_start"),
            _sse(block, "content_block_start"),
        ]
        for text in texts:
            delta: dict[str, Any] = {"type": "content_block_delta", "index": 0}
            delta["delta"] = {"type": "text_delta", "text": text}
            steps.append(_sse(delta, "content_block_delta"))
        return steps

    def ending(self, *, cut: bool = False, usage: tuple[int, int] = (100, 40)) -> list[Step]:
        prompt, completion = usage
        if self.name == "openai":
            counts = {"prompt_tokens": prompt, "completion_tokens": completion}
            counts["total_tokens"] = prompt + completion
            tail = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m"}
            return [
                _openai_chunk({}, "length" if cut else "stop"),
                _sse({**tail, "choices": [], "usage": counts}),
                b"data: [DONE]\n\n",
            ]
        delta = {"stop_reason": "max_tokens" if cut else "end_turn", "stop_sequence": None}
        end = {"type": "message_delta", "delta": delta}
        end["usage"] = {"output_tokens": completion}
        return [
            _sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
            _sse(end, "message_delta"),
            _sse({"type": "message_stop"}, "message_stop"),
        ]

    def reply(
        self, texts: list[str], *, cut: bool = False, usage: tuple[int, int] = (100, 40)
    ) -> Reply:
        return Reply(self.opening(texts, usage[0]) + self.ending(cut=cut, usage=usage))

    def error_body(self, kind: str, message: str) -> dict[str, Any]:
        if self.name == "openai":
            return {"error": {"message": message, "type": kind, "code": kind}}
        return {"type": "error", "error": {"type": kind, "message": message}}

    def provider(self, url: str, **options: Any) -> LLMProvider:
        defaults: dict[str, Any] = {"max_retries": 2, "first_backoff_s": 0.01, "model": "m"}
        defaults.update(options)
        if self.name == "openai":
            return OpenAIProvider(
                OpenAIProvider.Options(**defaults), api_key="sk-test", base_url=f"{url}/v1"
            )
        return AnthropicProvider(
            AnthropicProvider.Options(**defaults), api_key="sk-ant-test", base_url=url
        )

    @property
    def path(self) -> str:
        return "/v1/chat/completions" if self.name == "openai" else "/v1/messages"
