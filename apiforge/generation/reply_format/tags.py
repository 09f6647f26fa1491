"""The grammar of the tagged output format: tags, safe paths, markdown fences.

Pure functions over complete strings; the incremental parser decides *when* a string is
complete enough to ask them. See docs/output-format.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from apiforge.versions import paths as stored_paths

# Every tag the parser understands starts with one of these; anything else after a ``<`` is text.
TAG_PREFIXES = (
    "<file",
    "<edit",
    "<delete",
    "<summary",
    "</file",
    "</edit",
    "</delete",
    "</summary",
)

_PATH_VALUE = r"""(?:"([^"\n]*)"|'([^'\n]*)'|([^\s"'>/]+))"""
_BLOCK_TAG = re.compile(rf"<(file|edit)\s+path\s*=\s*{_PATH_VALUE}\s*>")
_DELETE_TAG = re.compile(rf"<delete\s+path\s*=\s*{_PATH_VALUE}\s*/?\s*>")
_SUMMARY_TAG = re.compile(r"<summary\s*>")
_STRAY_CLOSE = re.compile(r"</(file|edit|delete|summary)\s*>")

_FENCE_OPEN = re.compile(r" {0,3}```[\w+.#-]*\s*")
_FENCE_OPEN_PREFIX = re.compile(r" {0,3}(`{0,3}|```[\w+.#-]*\s*)")
_FENCE_CLOSE = re.compile(r" {0,3}```\s*")
_FENCE_CLOSE_PREFIX = re.compile(r" {0,3}(`{0,3}|```\s*)")
_MARKDOWN_SUFFIXES = (".md", ".markdown", ".rst")
_MARKDOWN_FENCE_LANGS = {"markdown", "md"}

_DRIVE = re.compile(r"^[A-Za-z]:")
# Directories git, virtualenvs and Python make for themselves; a file the model puts there would
# be refused by the store (``.git``), shadow an installed tool, or pass for compiled bytecode.
# (``.apiforge/`` is not one: the offline engine keeps its spec there, through this parser, and
# reads it back warily.)
_RESERVED_DIRS = frozenset({".git", ".venv", "__pycache__"})


@dataclass(frozen=True)
class BlockTag:
    kind: Literal["file", "edit"]
    path: str


@dataclass(frozen=True)
class DeleteTag:
    path: str


@dataclass(frozen=True)
class SummaryTag:
    pass


@dataclass(frozen=True)
class StrayCloseTag:
    """A closing tag outside its block (e.g. ``</delete>``): swallowed, not shown in chat."""


Tag = BlockTag | DeleteTag | SummaryTag | StrayCloseTag


def could_be_tag(text: str) -> bool:
    """Whether ``text`` (starting at a ``<``) may still turn out to be a tag we understand."""
    return any(prefix.startswith(text) or text.startswith(prefix) for prefix in TAG_PREFIXES)


def _path_of(match: re.Match[str]) -> str:
    return next(group for group in match.groups()[-3:] if group is not None)


def parse_tag(candidate: str) -> Tag | None:
    """Read one complete tag, ``<`` through ``>``; ``None`` if it is not one of ours."""
    if match := _BLOCK_TAG.fullmatch(candidate):
        kind: Literal["file", "edit"] = "file" if match.group(1) == "file" else "edit"
        return BlockTag(kind, _path_of(match))
    if match := _DELETE_TAG.fullmatch(candidate):
        return DeleteTag(_path_of(match))
    if _SUMMARY_TAG.fullmatch(candidate):
        return SummaryTag()
    if _STRAY_CLOSE.fullmatch(candidate):
        return StrayCloseTag()
    return None


# How far past a mid-line block tag the rest of its line is looked at (bounds the hold-back).
MENTION_LOOKAHEAD = 200


def mentioned(tag: Tag | None, before: str, after: str, finished: bool) -> bool | None:
    """Whether a ``<file>``/``<edit>`` tag is only named in a sentence (``A small change to
    <file path="app/main.py">, would fix it.``): text before it on its line and after it.
    ``None`` while the rest of the line has not arrived."""
    if not isinstance(tag, BlockTag) or not before.strip():
        return False
    newline = after.find("\n")
    if newline < 0 and len(after) < MENTION_LOOKAHEAD and not finished:
        return None
    # The same slice whatever arrived first: any chunking decides alike.
    return bool(after[: newline if newline >= 0 else len(after)][:MENTION_LOOKAHEAD].strip())


def normalize_path(path: str) -> str:
    return path[2:] if path.startswith("./") else path


def path_problem(path: str, max_chars: int) -> str | None:
    """Why ``path`` is not a safe relative POSIX path, or ``None`` if it is."""
    if not path:
        return "empty path"
    if len(path) > max_chars:
        return f"path longer than {max_chars} characters"
    if "\x00" in path or any(ord(ch) < 32 for ch in path):
        return "control character in path"
    if "\\" in path:
        return "backslash in path"
    if path.startswith("/") or _DRIVE.match(path):
        return "absolute path"
    if any(part in ("", ".", "..") for part in path.split("/")):
        return "path with '..', '.' or an empty segment"
    return _reserved(path) or stored_paths.path_problem(path)


def _reserved(path: str) -> str | None:
    for segment in path.split("/"):
        if segment.lower() in _RESERVED_DIRS:
            return f"'{segment}' is reserved for tooling; leave it out of the project"
    return None


def could_be_fence_open(partial_line: str) -> bool:
    return _FENCE_OPEN_PREFIX.fullmatch(partial_line) is not None


def is_fence_open(line: str) -> bool:
    return _FENCE_OPEN.fullmatch(line) is not None


def could_be_fence_close(partial_line: str) -> bool:
    return _FENCE_CLOSE_PREFIX.fullmatch(partial_line) is not None


def is_fence_close(line: str) -> bool:
    return _FENCE_CLOSE.fullmatch(line) is not None


def fence_strip_allowed(path: str, fence_line: str) -> bool:
    """A markdown file may legitimately start with a code block; strip only a markdown fence."""
    if not path.lower().endswith(_MARKDOWN_SUFFIXES):
        return True
    return fence_line.strip().removeprefix("```").lower() in _MARKDOWN_FENCE_LANGS


def after_closing_fence(held: str) -> str:
    """What followed a fenced ``<file>``'s closing fence (``held`` starts with that fence line),
    once a tag or the reply's end shows the file ended there: prose, blank lines dropped."""
    return held.partition("\n")[2].lstrip("\n")


def content_before_close(held: str) -> str:
    """``held`` when ``</file>`` follows it: the wrapper's closing fence alone is no content,
    but a fence with text after it was part of the file."""
    return held if held.partition("\n")[2].strip() else ""


def partial_suffix_len(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that is a proper beginning of ``tag``."""
    for length in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:length]):
            return length
    return 0
