"""Which recorded model replies showed code but did not become (all their) files.

Reads the ``NNN.json`` files ``bench/llm_recorder.py`` kept, runs each reply through apiforge's
parser and prints, per reply: the code blocks it showed (``<file>``/``<edit>`` tags and fenced
blocks outside them), the files the parser committed, and a ``!`` where a reply showed more code
blocks than it became files — the replies to read by hand. A fence holding only a shell command
or a path-less snippet may rightly stay prose; the flag only says where to look.

Run: ``.venv-dev/bin/python bench/llm_replies.py /tmp/apiforge-bench-llm-…`` (``-v`` prints the
flagged replies whole).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from apiforge.generation.reply_format.parse_events import (  # noqa: E402
    FileClosed,
    FileUnclosed,
    ParseEvent,
)
from apiforge.generation.reply_format.parser import StreamParser  # noqa: E402

_TAG = re.compile(r"<(?:file|edit)\s+path\s*=\s*[\"']?([^\"'>\s]+)")
_OPENS = re.compile(r"^\s*<(?:file|edit)\s|<(?:file|edit)\s[^>]*>\s*$")
_FENCE = re.compile(r"^ {0,8}```")


@dataclass(frozen=True)
class Reading:
    number: int
    shown: int
    files: int
    unclosed: int
    finish_reason: str | None
    reply: str

    @property
    def flagged(self) -> bool:
        return self.files < self.shown


def code_blocks(reply: str) -> int:
    """Distinct tagged paths, plus fenced blocks outside tags (a fence inside a tag is the
    file's wrapper)."""
    # A tag named inside a sentence (text on both sides) is no code block.
    tags = len(
        {m for line in reply.splitlines() if _OPENS.search(line) for m in _TAG.findall(line)}
    )
    inside, blocks = False, 0
    fence: list[str] | None = None
    for line in reply.splitlines():
        if _TAG.search(line):
            inside = True
        elif "</file>" in line or "</edit>" in line:
            inside = False
        elif _FENCE.match(line) and not inside:
            # A block counts once it holds a non-blank line (a lone stray fence is no code).
            fence = None if fence is not None else []
        elif fence is not None and line.strip() and not fence:
            fence.append(line)
            blocks += 1
    return tags + blocks


def parse(reply: str) -> list[ParseEvent]:
    parser = StreamParser()
    return parser.feed(reply) + parser.finish()


def read(path: Path) -> Reading:
    record = json.loads(path.read_text(encoding="utf-8"))
    reply = record["reply"]
    events = parse(reply)
    return Reading(
        number=record["number"],
        shown=code_blocks(reply),
        files=len({e.path for e in events if isinstance(e, FileClosed)}),
        unclosed=sum(isinstance(e, FileUnclosed) for e in events),
        finish_reason=record["finish_reason"],
        reply=reply,
    )


def main() -> None:
    verbose = "-v" in sys.argv
    directories = [Path(a) for a in sys.argv[1:] if a != "-v"]
    readings = [read(p) for d in directories for p in sorted(d.glob("[0-9]*.json"))]
    for r in readings:
        mark = "!" if r.flagged else " "
        print(
            f"{mark} {r.number:03d} code blocks {r.shown:2d} | files {r.files:2d} | "
            f"unclosed {r.unclosed} | {r.finish_reason}"
        )
        if verbose and r.flagged:
            print(r.reply, "\n" + "-" * 60)
    with_code = [r for r in readings if r.shown]
    print(
        f"replies {len(readings)}; with code {len(with_code)}; became files "
        f"{sum(r.files > 0 for r in with_code)}; all their blocks "
        f"{sum(not r.flagged for r in with_code)}"
    )


if __name__ == "__main__":
    main()
