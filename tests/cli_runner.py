"""Running the ``apiforge`` command line in a child process, as a person would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_cli(
    *args: str,
    data_dir: Path,
    env: dict[str, str] | None = None,
    colour: bool = False,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``apiforge ARGS`` with its own data dir, validation off and a wide terminal."""
    full_env = cli_env(data_dir, env)
    if colour:
        full_env["FORCE_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "apiforge.cli", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_cli(
    *args: str, data_dir: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """``apiforge ARGS`` left running, stdout and stderr on one pipe, for tests that signal it."""
    return subprocess.Popen(
        [sys.executable, "-m", "apiforge.cli", *args],
        env={**cli_env(data_dir, env), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def cli_env(data_dir: Path, env: dict[str, str] | None) -> dict[str, str]:
    return {
        "APIFORGE_DATA_DIR": str(data_dir),
        "APIFORGE_VALIDATOR": "none",
        "PATH": "/usr/bin:/bin",
        "COLUMNS": "200",
        **(env or {}),
    }
