"""A warm Hypothesis storage directory, shared read-only with every fuzz run.

The first text strategy a Hypothesis process draws from computes a table of every Unicode
character (about a second, more under load) and caches it in its storage directory. A sandbox
job starts empty, so without this every fuzz run paid that second out of its budget. The table
is built once per data directory, on the host, by the runtime's own Hypothesis (no generated
code runs), then mounted read-only; Hypothesis treats its caches as best-effort, so a read-only
directory only means it cannot add to it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from apiforge.sandbox.runtime import ValidationRuntime

logger = logging.getLogger(__name__)
STORAGE_ENV = "HYPOTHESIS_STORAGE_DIRECTORY"
_READY = ".apiforge-ready"
_WARM_TIMEOUT_S = 60.0
# Draws from a text strategy once: that is what builds the Unicode tables.
_WARM_SCRIPT = """
from hypothesis import given, settings, strategies as st
@settings(max_examples=1, database=None, deadline=None)
@given(st.text(min_size=1))
def warm(text):
    pass
warm()
"""


class FuzzCache:
    """One per validator: builds the directory on first use, then hands out its path."""

    def __init__(self, directory: Path, runtime: ValidationRuntime) -> None:
        self._directory = directory
        self._runtime = runtime
        self._lock = asyncio.Lock()
        self._failed = False

    async def path(self) -> Path | None:
        """The warm directory, or None if it could not be built (fuzzing works without it)."""
        async with self._lock:
            if (self._directory / _READY).exists():
                return self._directory
            if self._failed:
                return None
            if await self._build():
                return self._directory
            self._failed = True
            return None

    async def _build(self) -> bool:
        self._directory.mkdir(parents=True, exist_ok=True)
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", STORAGE_ENV: str(self._directory)}
        process = await asyncio.create_subprocess_exec(
            str(self._runtime.python),
            "-B",
            "-c",
            _WARM_SCRIPT,
            env=env,
            cwd=self._directory,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            _, errors = await asyncio.wait_for(process.communicate(), _WARM_TIMEOUT_S)
        except TimeoutError:
            logger.warning(
                "warming the fuzz cache took over %g s; fuzzing without it", _WARM_TIMEOUT_S
            )
            return False
        finally:
            if process.returncode is None:  # timed out or cancelled
                process.kill()
                await process.wait()
        if process.returncode != 0:
            logger.warning(
                "could not warm the fuzz cache: %s", errors.decode(errors="replace")[-500:]
            )
            return False
        # Readable by the sandbox's unprivileged uids.
        for root, _dirs, files in os.walk(self._directory):
            os.chmod(root, 0o755)
            for name in files:
                os.chmod(os.path.join(root, name), 0o644)
        (self._directory / _READY).touch()
        return True
