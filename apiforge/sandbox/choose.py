"""Choosing the validator and the preview manager from settings."""

from __future__ import annotations

import logging
import shutil
from typing import Any

from apiforge.registry import resolve
from apiforge.sandbox.base import NoopValidator, Validator
from apiforge.settings import Settings

log = logging.getLogger(__name__)

VALIDATORS: dict[str, str] = {
    "none": "apiforge.sandbox.base:NoopValidator",
    "sandbox": "apiforge.sandbox.validator:SandboxValidator",
}
PREVIEWS: dict[str, str] = {"sandbox": "apiforge.sandbox.preview:PreviewManager"}


def validator_name(settings: Settings) -> str:
    """``auto`` means the sandbox where bubblewrap (or the unsafe local mode) can run it."""
    if settings.validator != "auto":
        return settings.validator
    if shutil.which("bwrap") or settings.sandbox_unsafe_local:
        return "sandbox"
    log.warning("bubblewrap (bwrap) is not installed: versions will not be validated")
    return "none"


def load_validator(settings: Settings) -> Validator:
    cls = resolve(VALIDATORS, validator_name(settings), "validator")
    if cls is NoopValidator:
        return NoopValidator()
    validator: Validator = cls(settings)
    return validator


def load_previews(settings: Settings) -> Any:
    """The preview manager when versions run in the sandbox; otherwise None (no previews)."""
    name = validator_name(settings)
    if name not in PREVIEWS:
        return None
    return resolve(PREVIEWS, name, "previews")(settings)
