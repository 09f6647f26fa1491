"""Running the ``apiforge`` command line in a child process, as a person would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.server_process import free_port


def run_cli(
    *args: str,
    data_dir: Path,
    env: dict[str, str] | None = None,
    colour: bool = False,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``apiforge ARGS`` with its own data dir, validation off and a wide terminal.

    The configured port is one nothing listens on, so a server someone runs on the default port
    is never picked up; tests that want the address probe pass ``APIFORGE_PORT`` themselves.
    """
    full_env = {
        "APIFORGE_DATA_DIR": str(data_dir),
        "APIFORGE_PORT": str(free_port()),
        "APIFORGE_VALIDATOR": "none",
        "PATH": "/usr/bin:/bin",
        "COLUMNS": "200",
        **(env or {}),
    }
    if colour:
        full_env["FORCE_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "apiforge.cli", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
