"""Line diffs stored as JSON: difflib opcodes without the equal runs.

A diff is ``{"v": 1, "n": <base line count>, "ops": [[i1, i2, [lines…]], …]}``: replace base
lines ``i1:i2`` with ``lines``; everything between ops is copied from the base. Lines keep their
endings (``str.splitlines(keepends=True)`` is lossless), so CRLF, lone CR and a missing final
newline round-trip exactly. notes/infra.md §6 measured this format as the smallest and fastest of
the candidates and the only strict one besides diff-match-patch (which fuzzy-applies on drift).
"""

from __future__ import annotations

import hashlib
import json
from difflib import SequenceMatcher
from typing import Any

FORMAT_VERSION = 1


class DiffError(ValueError):
    """A stored diff is malformed or does not fit the base it is applied to."""


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _common_affixes(old: list[str], new: list[str]) -> tuple[int, int]:
    """Lengths of the common prefix and suffix, so SequenceMatcher only sees the changed middle."""
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    return prefix, suffix


def make_diff(old: str, new: str) -> str:
    """A JSON diff that turns ``old`` into ``new`` when given to :func:`apply_diff`."""
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    prefix, suffix = _common_affixes(old_lines, new_lines)
    old_mid = old_lines[prefix : len(old_lines) - suffix]
    new_mid = new_lines[prefix : len(new_lines) - suffix]
    ops: list[list[Any]] = []
    matcher = SequenceMatcher(None, old_mid, new_mid)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            ops.append([prefix + i1, prefix + i2, new_mid[j1:j2]])
    document = {"v": FORMAT_VERSION, "n": len(old_lines), "ops": ops}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


Ops = list[tuple[int, int, list[str]]]


def parse_diff(diff: str) -> tuple[int, Ops]:
    """The base line count and the ops of a stored diff; DiffError if it is malformed."""
    try:
        document = json.loads(diff)
    except (ValueError, TypeError) as exc:
        raise DiffError(f"diff is not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("v") != FORMAT_VERSION:
        raise DiffError("diff has an unknown format")
    base_count, raw_ops = document.get("n"), document.get("ops")
    if not isinstance(base_count, int) or not isinstance(raw_ops, list):
        raise DiffError("diff is missing its base line count or ops")
    ops: Ops = []
    for op in raw_ops:
        if not (isinstance(op, list) and len(op) == 3):
            raise DiffError("diff op is not [start, end, lines]")
        start, end, lines = op
        valid_range = isinstance(start, int) and isinstance(end, int) and 0 <= start <= end
        if not valid_range or not isinstance(lines, list):
            raise DiffError("diff op has an invalid range or lines")
        if not all(isinstance(line, str) for line in lines):
            raise DiffError("diff op lines must be strings")
        ops.append((start, end, lines))
    return base_count, ops


def apply_ops(old_lines: list[str], base_count: int, ops: Ops) -> list[str]:
    """Apply parsed ops to a list of lines (kept as lines so chains skip re-splitting)."""
    if len(old_lines) != base_count:
        raise DiffError(f"diff expects {base_count} base lines, got {len(old_lines)}")
    out: list[str] = []
    position = 0
    for start, end, lines in ops:
        if start < position or end > len(old_lines):
            raise DiffError("diff ops overlap or run past the base")
        out.extend(old_lines[position:start])
        out.extend(lines)
        position = end
    out.extend(old_lines[position:])
    return out


def apply_diff(old: str, diff: str) -> str:
    """Apply a diff made by :func:`make_diff`; raise :class:`DiffError` if it does not fit."""
    base_count, ops = parse_diff(diff)
    return "".join(apply_ops(old.splitlines(keepends=True), base_count, ops))
