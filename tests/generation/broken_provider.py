"""A provider with a bug: it raises a plain RuntimeError after some output."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from apiforge.providers.base import GenerationRequest, ProviderOutput, TextDelta
from apiforge.settings import Settings


class BrokenProvider:
    name = "broken"
    label = "broken test provider"
    model: str | None = "broken"

    @classmethod
    def from_settings(cls, settings: Settings) -> BrokenProvider:
        return cls()

    async def aclose(self) -> None:
        return None

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[ProviderOutput, None]:
        yield TextDelta('Starting.\n<file path="a.py">\nx = 1\n')
        raise RuntimeError("the provider fell over")
