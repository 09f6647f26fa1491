"""Small helpers shared by the renderers."""

from __future__ import annotations

import json
from typing import Any


def py(value: Any) -> str:
    """A Python literal (double-quoted strings) for a JSON-like sample value."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(py(item) for item in value) + "]"
    return repr(value)


def quoted(text: str) -> str:
    return json.dumps(text)


def tuple_literal(items: list[str]) -> str:
    if not items:
        return "()"
    inner = ", ".join(quoted(item) for item in items)
    return f"({inner},)" if len(items) == 1 else f"({inner})"


def join_blocks(*blocks: str) -> str:
    """Top-level blocks separated by two blank lines, ending with one newline."""
    return "\n\n\n".join(block.strip("\n") for block in blocks if block.strip()) + "\n"


def from_import(module: str, names: list[str]) -> str:
    """``from module import a, b`` wrapped the way ruff formats it past 88 characters."""
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= 88:
        return line
    inner = "".join(f"    {name},\n" for name in names)
    return f"from {module} import (\n{inner})"
