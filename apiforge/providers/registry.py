"""Which provider generates: chosen by ``APIFORGE_PROVIDER`` (default ``auto``).

``auto`` picks ``openai`` when ``OPENAI_API_KEY`` or ``OPENAI_BASE_URL`` is set, else
``anthropic`` when ``ANTHROPIC_API_KEY`` is set, else the offline engine — so apiforge works
out of the box and uses a real model as soon as one is configured.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from apiforge.providers.base import Provider
from apiforge.registry import resolve
from apiforge.settings import Settings

PROVIDERS: dict[str, str] = {
    "offline": "apiforge.providers.offline:OfflineProvider",
    "openai": "apiforge.providers.openai_provider:OpenAIProvider",
    "anthropic": "apiforge.providers.anthropic_provider:AnthropicProvider",
}


def provider_name(settings: Settings, environ: Mapping[str, str] | None = None) -> str:
    """The provider ``settings`` asks for, with ``auto`` decided from the SDKs' variables."""
    if settings.provider != "auto":
        return settings.provider
    env = os.environ if environ is None else environ
    if env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL"):
        return "openai"
    if env.get("ANTHROPIC_API_KEY"):
        return "anthropic"
    return "offline"


def load_provider(settings: Settings) -> Provider:
    provider_type: type[Provider] = resolve(PROVIDERS, provider_name(settings), "provider")
    return provider_type.from_settings(settings)
