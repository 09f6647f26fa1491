"""Files that models write as markdown: a path line, then a fenced block (or a path in the fence).

Models drift from the tagged format, small ones often, to the shape they know best::

    1. **app/main.py**:
    ```python
    from fastapi import FastAPI
    ```

This module decides, one complete line at a time, whether a fence opens such a file and where
its body ends; the incremental parser asks it only at line starts, so any chunking of the same
text gives the same decisions. What is accepted, and how the adversarial cases are decided, is
in docs/output-format.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from apiforge.generation.reply_format.tags import normalize_path

# A list item's fence may sit under the item's text; beyond this it is an indented code block.
MAX_FENCE_INDENT = 8
_FENCE_OPEN = re.compile(r"(?P<indent> *)(?P<ticks>`{3,})[ \t]*(?P<info>[^`]*?)[ \t]*")
_BARE_FENCE = re.compile(r" *(?P<ticks>`{3,})[ \t]*")
_INFO_KEY = re.compile(r"^(?:title|file|filename|path)=", re.IGNORECASE)
_INFO_SPLIT = re.compile(r"[\s:]+")
_LANG = re.compile(r"[\w+#.-]+")

_PATH_TOKEN = re.compile(r"[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*")
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]*$")
_BARE_NAMES = {"Dockerfile", "Makefile", "Procfile"}
_LIST_MARK = re.compile(r"^(?:[-*+•]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^#{1,6}\s+")
_LABEL = re.compile(r"^(?:file(?:name)?|path)\s*[:\-]\s*", re.IGNORECASE)
_DECORATION = "*_`: "
_MARKED = re.compile(r"`([^`\s]+)`|\*\*([^*\s]+)\*\*")
# A fence in one of these languages under a path line shows a command, not the file's content.
_COMMAND_LANGS = {"bash", "sh", "shell", "console", "zsh", "terminal", "powershell", "cmd"}
_SHELL_SUFFIXES = (".sh", ".bash")
_MARKDOWN_SUFFIXES = (".md", ".markdown", ".rst")


def looks_like_path(token: str) -> bool:
    if not _PATH_TOKEN.fullmatch(token):
        return False
    last = token.rsplit("/", 1)[-1]
    return last in _BARE_NAMES or _EXTENSION.search(last) is not None


def _undecorate(text: str) -> str:
    """``1. **File:** `app/main.py`:`` → ``app/main.py``: list marks, headings, labels, marks."""
    for _ in range(4):
        previous = text
        text = _HEADING.sub("", text)
        text = _LIST_MARK.sub("", text).strip(_DECORATION)
        text = _LABEL.sub("", text).strip(_DECORATION)
        if text == previous:
            break
    return text


def path_line(line: str) -> str | None:
    """The file a prose line announces, or ``None``.

    Either the whole line is a decorated path (``**app/main.py**``, ``### app/main.py``,
    ``File: app/main.py``, ``2. `app/main.py`:``, ``- app/main.py``), or the line ends in ``:``
    and marks exactly one path with backticks or bold (``Here is `app/main.py`:``).
    """
    text = line.strip()
    if not text or len(text) > 200:
        return None
    bare = _undecorate(text)
    if looks_like_path(bare):
        return normalize_path(bare)
    if text.rstrip("*_ ").endswith(":"):
        marked = {a or b for a, b in _MARKED.findall(text)}
        paths = [token for token in marked if looks_like_path(token)]
        if len(paths) == 1:
            return normalize_path(paths[0])
    return None


@dataclass(frozen=True)
class FenceOpening:
    indent: int
    ticks: int
    lang: str
    path: str | None


def could_open(partial_line: str) -> bool:
    """Whether a line that starts this way may still turn out to be an opening fence."""
    stripped = partial_line.lstrip(" ")
    if len(partial_line) - len(stripped) > MAX_FENCE_INDENT:
        return False
    return stripped.startswith("```") or stripped == "`" * len(stripped)


def read_opening(line: str) -> FenceOpening | None:
    """An opening fence line: its indentation, backtick count, language and a path it names."""
    match = _FENCE_OPEN.fullmatch(line)
    if match is None or len(match["indent"]) > MAX_FENCE_INDENT:
        return None
    lang, path = "", None
    for token in _INFO_SPLIT.split(match["info"]):
        token = _INFO_KEY.sub("", token).strip("\"'")
        if looks_like_path(token) and path is None:
            path = normalize_path(token)
        elif not lang and path is None and _LANG.fullmatch(token):
            lang = token.lower()
    return FenceOpening(len(match["indent"]), len(match["ticks"]), lang, path)


def file_path(hint: str | None, opening: FenceOpening) -> str | None:
    """The file this fence holds: the path in its info string, else the line above's path."""
    if opening.path is not None:
        return opening.path
    if hint is None:
        return None
    if opening.lang in _COMMAND_LANGS and not hint.endswith(_SHELL_SUFFIXES):
        return None
    return hint


_COMMENT_MARK = re.compile(r"^\s*(?:#|//|--)\s*")


def path_comment(line: str) -> str | None:
    """The path a comment line is nothing but (``# requirements.txt``, ``// File: a.js``)."""
    match = _COMMENT_MARK.match(line)
    if match is None:
        return None
    bare = _undecorate(line[match.end() :].strip())
    return normalize_path(bare) if looks_like_path(bare) else None


@dataclass(frozen=True)
class LineStart:
    """What a line inside a fenced file is: the closing fence (``next_path``: a path comment
    that ends this file and starts that one), or content with ``skip`` leading spaces (the
    fence's own indentation) dropped."""

    closes: bool
    skip: int = 0
    next_path: str | None = None


@dataclass
class FenceBody:
    """The body of a fenced file, read line by line until its closing fence.

    A markdown file's own code blocks (an inner fence with a language) nest, so a README's
    ```` ```bash ```` example does not end the README; other files end at the first bare fence.
    A fence that opened with a path comment (``splits``) holds several files: a path comment
    after a blank line starts the next one.
    """

    indent: int
    ticks: int
    nests: bool
    splits: bool = False
    depth: int = 0
    after_blank: bool = False

    @classmethod
    def for_file(cls, path: str, opening: FenceOpening) -> FenceBody:
        nests = path.lower().endswith(_MARKDOWN_SUFFIXES)
        return cls(indent=opening.indent, ticks=opening.ticks, nests=nests)

    def line_start(self, line: str, complete: bool) -> LineStart | None:
        """Decide a line from its start; ``None`` while only the rest of the line can tell."""
        stripped = line.lstrip(" ")
        lead = len(line) - len(stripped)
        could_split = self.splits and self.after_blank and stripped[:1] in ("#", "/", "-")
        if not complete and (not stripped or stripped.startswith("`") or could_split):
            return None
        skip = min(lead, self.indent)
        self.after_blank = complete and not stripped.strip()
        if not complete:
            return LineStart(closes=False, skip=skip)
        if could_split and (path := path_comment(line)) is not None:
            return LineStart(closes=True, next_path=path)
        bare = _BARE_FENCE.fullmatch(line)
        if bare is not None and len(bare["ticks"]) >= self.ticks:
            if self.depth == 0:
                return LineStart(closes=True)
            self.depth -= 1
        elif self.nests and (opening := read_opening(line)) and opening.lang:
            self.depth += 1
        return LineStart(closes=False, skip=skip)


@dataclass(frozen=True)
class Opened:
    """A fence that opens a file: its path, how to read its body, the characters it takes."""

    path: str
    body: FenceBody
    consumed: int


class FencedFileRecognizer:
    """Watches complete prose lines; says when a fence line opens a file.

    Owns the two facts that decide it: the path the last non-blank prose line announced, and
    whether the prose is inside an example code block (whose lines announce nothing).
    """

    def __init__(self) -> None:
        self._hint: str | None = None
        self._example: FenceBody | None = None

    def note_prose_line(self, line: str) -> None:
        if self._example is not None:
            if self._example.line_start(line, complete=True) == LineStart(closes=True):
                self._example = None
            return
        opening = read_opening(line)
        if opening is not None:
            self._example = FenceBody(indent=opening.indent, ticks=opening.ticks, nests=False)
            self._hint = None
        elif line.strip():
            self._hint = path_line(line)

    def forget(self) -> None:
        self._hint = None

    def opening(self, text: str, finished: bool) -> Opened | Literal["wait"] | None:
        """At a prose line start (``text`` is what follows): the file a fence opens, ``None``
        if the line is prose, ``"wait"`` while only text still to come can tell."""
        lines = text.split("\n", 2)
        if self._example is not None or not could_open(lines[0]):
            return None
        if len(lines) == 1 and not finished:
            return "wait"
        opening = read_opening(lines[0])
        if opening is None:
            return None
        path = file_path(self._hint, opening)
        if path is not None:
            self._hint = None
            return Opened(path, FenceBody.for_file(path, opening), len(lines[0]) + 1)
        return self._opening_by_comment(lines, finished, opening)

    def _opening_by_comment(
        self, lines: list[str], finished: bool, opening: FenceOpening
    ) -> Opened | Literal["wait"] | None:
        """A nameless fence whose first line is a path comment: one or more files."""
        if len(lines) < 3 and not finished:
            return "wait"
        path = path_comment(lines[1]) if len(lines) > 1 else None
        if path is None:
            return None
        body = FenceBody(opening.indent, opening.ticks, nests=False, splits=True)
        return Opened(path, body, len(lines[0]) + len(lines[1]) + 2)
