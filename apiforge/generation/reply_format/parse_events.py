"""What the incremental parser reports while it reads a provider's tagged text.

Text events (``Prose``, ``FileText``) may be split differently for different chunkings of the
same input; merged, they are always identical. Everything else is emitted exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Prose:
    """Text outside any tag: streamed to the chat."""

    text: str


@dataclass(frozen=True)
class FileOpened:
    path: str
    kind: Literal["file", "edit"]


@dataclass(frozen=True)
class FileText:
    """A piece of a block's body as it streams (file content, or raw edit text)."""

    path: str
    text: str


@dataclass(frozen=True)
class FileClosed:
    """A block closed: ``body`` is the whole file content (or the whole raw edit text)."""

    path: str
    kind: Literal["file", "edit"]
    body: str


@dataclass(frozen=True)
class FileDeleted:
    path: str


@dataclass(frozen=True)
class Summary:
    text: str


@dataclass(frozen=True)
class FileUnclosed:
    """The stream ended inside a block: the body so far, never to be stored as a file."""

    path: str
    kind: Literal["file", "edit"]
    body: str


@dataclass(frozen=True)
class Rejected:
    """A block the parser refused (unsafe path, too many files); its body is skipped."""

    path: str
    reason: str


ParseEvent = (
    Prose | FileOpened | FileText | FileClosed | FileDeleted | Summary | FileUnclosed | Rejected
)
