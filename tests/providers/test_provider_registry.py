"""Choosing a provider from settings and the SDKs' own environment variables."""

from __future__ import annotations

import pytest

from apiforge.errors import InputError
from apiforge.providers.anthropic_provider import AnthropicProvider
from apiforge.providers.errors import ProviderAuthError
from apiforge.providers.openai_provider import OpenAIProvider
from apiforge.providers.registry import PROVIDERS, load_provider, provider_name
from apiforge.settings import Settings


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "offline"),
        ({"OPENAI_API_KEY": "sk"}, "openai"),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}, "openai"),
        ({"ANTHROPIC_API_KEY": "sk-ant"}, "anthropic"),
        ({"ANTHROPIC_API_KEY": "sk-ant", "OPENAI_API_KEY": "sk"}, "openai"),
    ],
)
def test_auto_picks_a_configured_llm_else_offline(environ: dict[str, str], expected: str) -> None:
    assert provider_name(Settings(provider="auto"), environ) == expected
    assert expected in PROVIDERS


def test_an_explicit_provider_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk")
    assert provider_name(Settings(provider="anthropic")) == "anthropic"


async def test_load_provider_builds_openai_from_settings_and_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    settings = Settings(model="llama3.1", provider_options={"temperature": 0.1})
    provider = load_provider(settings)
    assert isinstance(provider, OpenAIProvider)
    assert provider.label == "openai llama3.1" and provider.options.temperature == 0.1
    await provider.aclose()


async def test_load_provider_builds_anthropic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant")
    provider = load_provider(Settings(provider="anthropic"))
    assert isinstance(provider, AnthropicProvider) and provider.name == "anthropic"
    await provider.aclose()


def test_unknown_provider_options_are_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant")
    with pytest.raises(InputError, match="temprature"):
        load_provider(Settings(provider="anthropic", provider_options={"temprature": 1}))


def test_unknown_provider_names_list_the_choices() -> None:
    with pytest.raises(InputError, match="anthropic, offline, openai"):
        load_provider(Settings(provider="gemini"))


def test_a_missing_key_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ProviderAuthError, match="OPENAI_API_KEY"):
        load_provider(Settings(provider="openai"))
    with pytest.raises(ProviderAuthError, match="ANTHROPIC_API_KEY"):
        load_provider(Settings(provider="anthropic"))
