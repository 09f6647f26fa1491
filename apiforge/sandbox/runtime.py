"""The validation runtime: the Python environment generated projects run against.

It is the running server's own environment (``sys.prefix``: fastapi, uvicorn, pydantic, httpx,
pytest, schemathesis come from pyproject) plus the base interpreter it was made from. Both are
mounted read-only in the sandbox; nothing else of the server is.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class ValidationRuntime:
    prefix: Path
    """The environment's prefix (a venv, or the base Python itself)."""
    base_prefix: Path
    """The real location of the interpreter the environment was made from."""
    fuzz_cache: Path | None = None
    """A warm Hypothesis storage directory (see fuzz_cache.py), mounted read-only too."""

    @property
    def python(self) -> Path:
        return self.prefix / "bin" / "python"

    @property
    def bin_dir(self) -> Path:
        return self.prefix / "bin"

    def mounts(self) -> list[Path]:
        """Directories to mount read-only: distinct, outermost first."""
        shared = {self.prefix, self.base_prefix} | ({self.fuzz_cache} if self.fuzz_cache else set())
        paths = sorted(shared, key=lambda p: len(p.parts))
        kept: list[Path] = []
        for path in paths:
            if not any(path.is_relative_to(outer) for outer in kept):
                kept.append(path)
        return kept


def current_runtime() -> ValidationRuntime:
    prefix = Path(sys.prefix)
    base = Path(os.path.realpath(sys.base_prefix))
    # A venv's bin/python is a symlink into the base prefix; the real binary must be mounted too.
    return ValidationRuntime(prefix=prefix, base_prefix=base)


def find_bwrap() -> str | None:
    return shutil.which("bwrap", path=os.environ.get("PATH", "/usr/bin:/bin"))


def find_setpriv() -> str | None:
    return shutil.which("setpriv", path="/usr/bin:/bin:/usr/sbin:/sbin")


def normalize_distribution_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_distributions() -> dict[str, str]:
    """Normalized name -> version of every distribution in the runtime (the server's own env)."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[normalize_distribution_name(name)] = dist.version
    return found
