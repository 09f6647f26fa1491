"""The environment `make serve` runs: a venv with `pip install -e .` and no extras.

`make test` builds it as .venv and names its interpreter in APIFORGE_SERVE_PYTHON. Run by hand
without that variable, the tests build the same thing in a temporary directory (pip's cache
makes that quick after the first time), so they can never pass only because the dev extras of
the interpreter running pytest happen to be installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SERVE_PYTHON_ENV = "APIFORGE_SERVE_PYTHON"
REPO = Path(__file__).resolve().parents[2]
# What only `pip install -e '.[dev]'` brings; none of it may be in the serve env.
DEV_ONLY = ("pytest_timeout", "mypy", "playwright", "ruff")
# What the sandbox's stages run generated projects with.
RUNTIME = ("pytest", "pytest_asyncio", "anyio", "schemathesis", "hypothesis", "httpx", "uvicorn")


def clean_env() -> dict[str, str]:
    """This process's environment minus what would let the serve env see other packages."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def build_serve_env(venv: Path) -> str:
    """As the Makefile does: ``python -m venv`` then ``pip install -e REPO``; the interpreter."""
    env = clean_env()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env, timeout=120)
    python = str(venv / "bin" / "python")
    install = [python, "-m", "pip", "install", "-q", "-e", str(REPO)]
    subprocess.run(install, check=True, env=env, cwd=REPO, timeout=900)
    return python


def importable(python: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` ``python`` can find, run as the server would be (no PYTHONPATH)."""
    script = "import importlib.util, sys\nfor m in sys.argv[1:]:\n"
    script += "    print(m) if importlib.util.find_spec(m) else None\n"
    done = subprocess.run(
        [python, "-c", script, *modules],
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.split()
