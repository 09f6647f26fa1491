"""The provider interface: one async streaming method over a typed request.

A provider turns a :class:`GenerationRequest` into a stream of text in the tagged output
format (see docs/output-format.md), ending with one :class:`StreamEnd` that says why the
stream stopped and how many tokens it used, if the provider said. Everything after the text —
parsing into files, events, storage — is shared, so every provider drives exactly the same
pipeline.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Literal, Protocol, Self

from pydantic import BaseModel, ConfigDict

from apiforge.events.types import Usage
from apiforge.settings import Settings


class ChatTurn(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Literal["user", "assistant", "system"]
    content: str


class GenerationRequest(BaseModel):
    """Everything a provider needs to produce one version."""

    model_config = ConfigDict(frozen=True)

    prompt: str
    version_number: int
    previous_files: dict[str, str] = {}
    history: tuple[ChatTurn, ...] = ()
    # Set when asking the model to go on after it stopped for length.
    continuation_of: str | None = None


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class StreamEnd:
    finish_reason: Literal["stop", "length"] = "stop"
    # None: the provider reported no usage, which is not the same as using no tokens.
    usage: Usage | None = None


ProviderOutput = TextDelta | StreamEnd


class ProviderOptions(BaseModel):
    """Base for each provider's options: unknown keys are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Provider(Protocol):
    """Everything the app does with a provider, declared here so no caller needs a cast or a
    getattr: it is built from settings, streams requests, and is closed at shutdown."""

    name: str
    label: str  # shown to people, e.g. "offline engine" or "openai gpt-4o"
    # The model as APIFORGE_MODEL names it, the key of its price; None: no model (offline).
    model: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Build the provider from apiforge's settings (and the SDK's own env variables)."""
        ...

    def stream(self, request: GenerationRequest) -> AsyncGenerator[ProviderOutput, None]:
        """Yield text deltas, then exactly one StreamEnd. Closing the generator early closes
        the upstream stream, so no more tokens are billed."""
        ...

    async def aclose(self) -> None:
        """Release connections; called once, at shutdown."""
        ...
