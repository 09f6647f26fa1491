"""Choosing the validator and the preview manager from settings."""

from __future__ import annotations

import logging
import shutil
from typing import Any

from apiforge.registry import resolve
from apiforge.sandbox.base import Validator
from apiforge.settings import Settings

log = logging.getLogger(__name__)

VALIDATORS: dict[str, str] = {
    "none": "apiforge.sandbox.base:NoopValidator",
    "sandbox": "apiforge.sandbox.validator:SandboxValidator",
}


def validator_name(settings: Settings) -> str:
    if settings.validator != "auto":
        return settings.validator
    if shutil.which("bwrap") or getattr(settings, "sandbox_unsafe_local", False):
        return "sandbox"
    log.warning("bubblewrap (bwrap) is not installed: versions will not be validated")
    return "none"


def load_validator(settings: Settings) -> Validator:
    name = validator_name(settings)
    cls = resolve(VALIDATORS, name, "validator")
    validator: Validator = cls.from_settings(settings) if hasattr(cls, "from_settings") else cls()
    return validator


def load_previews(settings: Settings) -> Any:
    """The preview manager, when the sandbox can run previews; otherwise None."""
    if validator_name(settings) != "sandbox":
        return None
    cls = resolve({"sandbox": "apiforge.sandbox.preview:PreviewManager"}, "sandbox", "previews")
    return cls.from_settings(settings) if hasattr(cls, "from_settings") else cls(settings)
