"""Scripts that run INSIDE the sandbox (passed with ``python -c``).

They import nothing of apiforge: only the runtime's packages exist in there.
"""

from __future__ import annotations

from pathlib import Path

RESULT_MARKER = "@@APIFORGE-RESULT@@"


def script(name: str) -> str:
    """The source text of the harness script ``name`` (e.g. ``"fuzz_app"``)."""
    return (Path(__file__).parent / f"{name}.py").read_text(encoding="utf-8")
