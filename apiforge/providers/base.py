"""The provider interface: one async streaming method over a typed request.

A provider turns a :class:`GenerationRequest` into a stream of text in the tagged output
format (see docs/output-format.md), ending with one :class:`StreamEnd` that says why the
stream stopped and how many tokens it used. Everything after the text — parsing into files,
events, storage — is shared, so every provider drives exactly the same pipeline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from apiforge.events.types import Usage


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
    usage: Usage = field(default_factory=Usage)


ProviderOutput = TextDelta | StreamEnd


class ProviderOptions(BaseModel):
    """Base for each provider's options: unknown keys are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Provider(Protocol):
    name: str
    label: str  # shown to people, e.g. "offline engine" or "openai gpt-4o"

    def stream(self, request: GenerationRequest) -> AsyncIterator[ProviderOutput]:
        """Yield text deltas, then exactly one StreamEnd."""
        ...
