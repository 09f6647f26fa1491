"""Dependencies point downward: providers import nothing of generation or the server, and each
provider class has the Provider protocol's whole surface (mypy checks the list below)."""

from __future__ import annotations

import ast
from pathlib import Path

import apiforge
from apiforge.providers.anthropic_provider import AnthropicProvider
from apiforge.providers.base import Provider
from apiforge.providers.offline import OfflineProvider
from apiforge.providers.openai_provider import OpenAIProvider

PROVIDERS_DIR = Path(apiforge.__path__[0]) / "providers"
ABOVE = ("apiforge.generation", "apiforge.server", "apiforge.versions", "apiforge.store")

# Type-checked: a provider missing from_settings, stream or aclose fails mypy here.
PROVIDER_CLASSES: tuple[type[Provider], ...] = (OfflineProvider, OpenAIProvider, AnthropicProvider)


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def test_providers_import_nothing_above_them() -> None:
    upward = {
        f"{path.name}: {module}"
        for path in PROVIDERS_DIR.glob("*.py")
        for module in imported_modules(path)
        if module.startswith(ABOVE)
    }
    assert upward == set()


def test_the_check_sees_imports() -> None:
    assert "apiforge.providers.conversation" in imported_modules(
        PROVIDERS_DIR / "openai_provider.py"
    )


def test_every_provider_has_the_whole_surface() -> None:
    for provider_class in PROVIDER_CLASSES:
        for member in ("name", "from_settings", "stream", "aclose"):
            assert hasattr(provider_class, member), (provider_class, member)
