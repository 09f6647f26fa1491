"""The offline provider: the deterministic engine, streamed like a model's reply."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from apiforge.engine import generate, tagged_text
from apiforge.engine.stream_text import chunks
from apiforge.events.types import Usage
from apiforge.providers.base import GenerationRequest, ProviderOutput, StreamEnd, TextDelta
from apiforge.settings import Settings


def _render(prompt: str, previous_files: dict[str, str]) -> str:
    return tagged_text(generate(prompt, previous_files))


class OfflineProvider:
    name = "offline"
    label = "offline engine"
    model: str | None = None

    def __init__(self, delay_ms: float = 0.0) -> None:
        self.delay_s = max(0.0, delay_ms) / 1000

    @classmethod
    def from_settings(cls, settings: Settings) -> OfflineProvider:
        return cls(delay_ms=settings.engine_delay_ms)

    async def aclose(self) -> None:
        """Nothing to release: the engine holds no connections."""

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[ProviderOutput, None]:
        # Runs fully before the first yield, so an unreadable prompt raises
        # PromptNotUnderstood with nothing streamed. In a thread: rendering a whole project
        # takes tens of milliseconds, which would stall every live stream on the event loop.
        text = await asyncio.to_thread(_render, request.prompt, dict(request.previous_files))
        for index, piece in enumerate(chunks(text)):
            if self.delay_s and index:
                await asyncio.sleep(self.delay_s)
            yield TextDelta(piece)
        yield StreamEnd(finish_reason="stop", usage=Usage())
