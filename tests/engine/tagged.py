"""A tiny splitter for the engine's tagged output, for tests only (not the real parser)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_BLOCK = re.compile(
    r'<file path="(?P<path>[^"]+)">\n(?P<body>.*?)^</file>\n|<delete path="(?P<deleted>[^"]+)"/>\n'
    r"|<summary>(?P<summary>.*?)</summary>",
    re.DOTALL | re.MULTILINE,
)


@dataclass
class Split:
    prose: str
    files: dict[str, str] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    summary: str = ""


def split_tagged(text: str) -> Split:
    first = text.find("<")
    result = Split(prose=text[:first])
    for match in _BLOCK.finditer(text):
        if match.group("path"):
            result.files[match.group("path")] = match.group("body")
        elif match.group("deleted"):
            result.deleted.append(match.group("deleted"))
        else:
            result.summary = match.group("summary")
    return result


def apply(previous: dict[str, str], split: Split) -> dict[str, str]:
    files = {**previous, **split.files}
    for path in split.deleted:
        files.pop(path, None)
    return files
