"""Implementations named by ``"module:Attr"`` strings and imported only when chosen."""

from __future__ import annotations

import importlib
from typing import Any

from apiforge.errors import InputError


def import_from_string(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise InputError(f"Expected 'module:Attr', got {target!r}", code="bad_import_string")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        message = f"{module_name} has no attribute {attr!r}"
        raise InputError(message, code="bad_import_string") from None


def resolve(registry: dict[str, str], name: str, kind: str) -> Any:
    """Look ``name`` up in ``registry``; a literal ``module:Attr`` is accepted too."""
    target = registry.get(name) or (name if ":" in name else None)
    if target is None:
        choices = ", ".join(sorted(registry))
        raise InputError(f"Unknown {kind} {name!r}; choose one of: {choices}", code="bad_setting")
    return import_from_string(target)
