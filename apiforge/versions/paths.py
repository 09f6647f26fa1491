"""File paths inside a project: relative, forward slashes, nothing that escapes the root."""

from __future__ import annotations

from apiforge.errors import InputError

MAX_PATH_LENGTH = 255


def safe_relative_path(path: str) -> str:
    """Return ``path`` if it is a clean relative POSIX path; raise :class:`InputError` otherwise.

    Clean means what a ZIP extractor or ``git checkout`` would write inside the target directory
    and nowhere else: no absolute paths, drive letters, backslashes, ``.``/``..`` or empty segments,
    and no control characters.
    """
    if not path or len(path) > MAX_PATH_LENGTH:
        raise InputError(f"file path must be 1..{MAX_PATH_LENGTH} characters: {path!r}")
    if any(ord(char) < 0x20 or char == "\x7f" for char in path):
        raise InputError(f"file path contains control characters: {path!r}")
    if "\\" in path or path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise InputError(f"file path must be relative with forward slashes: {path!r}")
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            raise InputError(f"file path has an empty, '.' or '..' segment: {path!r}")
        if segment == ".git":
            raise InputError(f"file path may not enter a .git directory: {path!r}")
    return path
