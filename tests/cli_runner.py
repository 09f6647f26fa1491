"""Running the ``apiforge`` command line in a child process, as a person would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from apiforge.ports import free_port


def cli_env(data_dir: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """Its own data dir, validation off, a wide terminal, and a configured port nothing listens
    on: a server someone runs on the default port is never picked up (tests that want the
    address probe pass ``APIFORGE_PORT`` themselves)."""
    return {
        "APIFORGE_DATA_DIR": str(data_dir),
        "APIFORGE_PORT": str(free_port()),
        "APIFORGE_VALIDATOR": "none",
        "PATH": "/usr/bin:/bin",
        "COLUMNS": "200",
        **(env or {}),
    }


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "apiforge.cli", *args]


def run_cli(
    *args: str,
    data_dir: Path,
    env: dict[str, str] | None = None,
    colour: bool = False,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``apiforge ARGS`` run to completion with ``cli_env``."""
    full_env = cli_env(data_dir, env)
    if colour:
        full_env["FORCE_COLOR"] = "1"
    return subprocess.run(
        cli_command(*args), env=full_env, capture_output=True, text=True, timeout=timeout
    )


def start_cli(
    *args: str, data_dir: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """``apiforge ARGS`` left running, stdout and stderr on one pipe, for tests that signal it."""
    return subprocess.Popen(
        cli_command(*args),
        env={**cli_env(data_dir, env), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
