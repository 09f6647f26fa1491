"""File paths inside a project: relative, forward slashes, nothing that escapes the root."""

from __future__ import annotations

from apiforge.errors import InputError

MAX_PATH_LENGTH = 255


def path_problem(path: str) -> str | None:
    """Why ``path`` cannot be stored as a project file, or ``None`` if it can.

    Storable means what a ZIP extractor or ``git checkout`` would write inside the target
    directory and nowhere else: no absolute paths, drive letters, backslashes, ``.``/``..`` or
    empty segments, no ``.git`` directory, no control characters, and text that UTF-8 can hold.
    """
    if not path or len(path) > MAX_PATH_LENGTH:
        return f"file path must be 1..{MAX_PATH_LENGTH} characters"
    if any(ord(char) < 0x20 or char == "\x7f" for char in path):
        return "file path contains control characters"
    if any(0xD800 <= ord(char) <= 0xDFFF for char in path):
        return "file path contains a lone UTF-16 surrogate"
    if "\\" in path or path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        return "file path must be relative with forward slashes"
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            return "file path has an empty, '.' or '..' segment"
        # Case-folded: on a case-insensitive disk ``.GIT`` is the same directory.
        if segment.lower() == ".git":
            return "file path may not enter a .git directory"
    return None


def safe_relative_path(path: str) -> str:
    """``path`` if :func:`path_problem` finds nothing; else :class:`InputError`."""
    problem = path_problem(path)
    if problem is not None:
        raise InputError(f"{problem}: {path!r}")
    return path
