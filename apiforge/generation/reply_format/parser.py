"""The incremental parser: provider text in, parse events out, whatever the chunking.

Feeding the same text in any chunks (down to one character) yields the same events once
adjacent ``Prose`` and adjacent ``FileText`` of one path are merged. That holds because every
decision waits until the text that decides it has arrived: a possible partial tag, a possible
closing tag at a line start, a first body line that may be a markdown fence, a fence line that
may be the last one before ``</file>``. Only those few characters are ever held back.

Fallback for models that ignore the tags: while no tag has been seen, a markdown fence under
a path line (``1. **app/main.py**:``, ``### app/main.py``, ``File: app/main.py``) or naming a
path itself (```` ```python app/main.py ````) becomes that file, ending at its closing fence
(``fenced_files`` decides both). Once any tag was seen, fences in prose stay prose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from apiforge.generation.reply_format import fenced_files, tags
from apiforge.generation.reply_format.parse_events import (
    FileClosed,
    FileDeleted,
    FileOpened,
    FileText,
    FileUnclosed,
    ParseEvent,
    Prose,
    Rejected,
    Summary,
)

# A tag never spans lines; this bounds how much prose a lone "<file" can hold back.
_TAG_HOLD_SLACK = 1024
_SUMMARY_CLOSE = "</summary>"


@dataclass
class _Block:
    """An open ``<file>``/``<edit>`` block (or a bare-fence fallback file, ``fence_mode``)."""

    path: str
    kind: Literal["file", "edit"]
    close: str
    discard: bool = False
    fence: fenced_files.FenceBody | None = None
    at_line_start: bool = True
    first_line: bool = True
    fenced: bool = False
    pending_fence: str = ""
    parts: list[str] = field(default_factory=list)

    @property
    def fence_mode(self) -> bool:
        return self.fence is not None


class StreamParser:
    def __init__(self, *, max_files: int = 200, max_path_chars: int = 200) -> None:
        self._max_files = max_files
        self._max_path_chars = max_path_chars
        self._tag_hold = max_path_chars + _TAG_HOLD_SLACK
        self._buf = ""
        self._out: list[ParseEvent] = []
        self._finished = False
        self._block: _Block | None = None
        self._summary: list[str] | None = None
        self._skip_newline = False
        self._seen_tag = False
        self._at_line_start = True
        self._line = ""
        self._fences = fenced_files.FencedFileRecognizer()
        self._paths: set[str] = set()

    @property
    def in_block(self) -> bool:
        """Whether the text so far ends inside a file/edit block (a continuation is worth it)."""
        return self._block is not None and not self._block.discard

    @property
    def paths(self) -> frozenset[str]:
        return frozenset(self._paths)

    def feed(self, text: str) -> list[ParseEvent]:
        if self._finished:
            raise RuntimeError("feed() after finish()")
        self._buf += text
        return self._drain()

    def finish(self) -> list[ParseEvent]:
        """End of stream: decide everything held back, report an open block as unclosed."""
        if self._finished:
            return []
        self._finished = True
        events = self._drain()
        self._end_of_stream()
        events.extend(self._out)
        self._out = []
        return events

    def _drain(self) -> list[ParseEvent]:
        while self._step():
            pass
        events, self._out = self._out, []
        return events

    def _step(self) -> bool:
        """Make one decision; ``False`` when more text is needed to decide."""
        if not self._buf:
            return False
        if self._skip_newline:
            self._skip_newline = False
            if self._buf[0] == "\n":
                self._consume(1)
            return True
        if self._block is not None:
            if self._block.at_line_start:
                return self._step_line_start(self._block)
            return self._step_mid_line(self._block)
        if self._summary is not None:
            return self._step_summary(self._summary)
        return self._step_outside()

    def _consume(self, count: int) -> str:
        taken, self._buf = self._buf[:count], self._buf[count:]
        return taken

    # --- outside any block: prose and tags -------------------------------------------------

    def _step_outside(self) -> bool:
        if not self._seen_tag and self._at_line_start:
            decided = self._try_fence_fallback()
            if decided is not None:
                return decided
        lt = self._buf.find("<")
        if lt == 0:
            return self._step_tag()
        text = self._buf if lt < 0 else self._buf[:lt]
        newline = text.find("\n")
        # Stop at a line end so the next step sees the line start (for the fence fallback).
        self._emit_prose(self._consume(len(text) if newline < 0 else newline + 1))
        return True

    def _step_tag(self) -> bool:
        buf = self._buf
        if not tags.could_be_tag(buf[: len("</summary")]):
            self._emit_prose(self._consume(1))
            return True
        end = next((i for i, ch in enumerate(buf[: self._tag_hold]) if ch in ">\n"), -1)
        if end < 0 and len(buf) < self._tag_hold and not self._finished:
            return False
        tag = tags.parse_tag(buf[: end + 1]) if end >= 0 else None
        mention = tags.mentioned(tag, self._line, buf[end + 1 :], self._finished)
        if mention is None:
            return False
        if tag is None or mention:
            self._emit_prose(self._consume(1))
            return True
        self._consume(end + 1)
        self._open(tag)
        return True

    def _emit_prose(self, text: str) -> None:
        self._out.append(Prose(text))
        self._at_line_start = text.endswith("\n")
        if not self._at_line_start:
            self._line = (self._line + text)[:512]
            return
        line, self._line = self._line + text[:-1], ""
        self._fences.note_prose_line(line)

    def _try_fence_fallback(self) -> bool | None:
        """At a prose line start: a fence that opens a file does (``None``: the line is prose)."""
        found = self._fences.opening(self._buf, self._finished)
        if found == "wait":
            return False
        if found is None or self._path_refusal(found.path) is not None:
            return None
        self._consume(found.consumed)
        self._open_fenced(found.path, found.body)
        return True

    def _open_fenced(self, path: str, body: fenced_files.FenceBody) -> None:
        self._paths.add(path)
        self._out.append(FileOpened(path, "file"))
        self._block = _Block(path, "file", close="```", fence=body, first_line=False)

    def _open(self, tag: tags.Tag) -> None:
        self._skip_newline = True
        self._at_line_start, self._line = False, ""
        self._fences.forget()
        if isinstance(tag, tags.StrayCloseTag):
            return
        self._seen_tag = True
        if isinstance(tag, tags.SummaryTag):
            self._summary = []
            return
        path = tags.normalize_path(tag.path)
        refusal = self._path_refusal(path)
        if refusal is not None:
            self._out.append(Rejected(path, refusal))
        else:
            self._paths.add(path)
        if isinstance(tag, tags.DeleteTag):
            if refusal is None:
                self._out.append(FileDeleted(path))
            return
        if refusal is None:
            self._out.append(FileOpened(path, tag.kind))
        self._block = _Block(path, tag.kind, close=f"</{tag.kind}>", discard=refusal is not None)

    def _path_refusal(self, path: str) -> str | None:
        problem = tags.path_problem(path, self._max_path_chars)
        if problem is None and path not in self._paths and len(self._paths) >= self._max_files:
            problem = f"more than {self._max_files} files"
        return problem

    # --- inside a block ----------------------------------------------------------------------

    def _step_line_start(self, block: _Block) -> bool:
        if block.fence is not None:
            return self._step_fenced_line(block, block.fence)
        newline = self._buf.find("\n")
        complete = newline >= 0 or self._finished
        line = self._buf if newline < 0 else self._buf[:newline]
        line_len = len(line) + (1 if newline >= 0 else 0)
        if not block.fence_mode:
            stripped = line.lstrip(" \t")
            if stripped.startswith(block.close):
                self._emit_body(block, tags.content_before_close(block.pending_fence))
                # Indentation before the tag stays in the body: the tag also "ends a line".
                self._emit_body(block, self._consume(len(line) - len(stripped)))
                self._consume(len(block.close))
                self._close(block)
                return True
            if not complete and block.close.startswith(stripped):
                return False
        if block.first_line:
            if not complete and tags.could_be_fence_open(line):
                return False
            block.first_line = False
            if tags.is_fence_open(line) and tags.fence_strip_allowed(block.path, line):
                block.fenced = True
                self._consume(line_len)
                return True
        if block.fenced:
            return self._step_fence_lines(block, line, complete, line_len)
        block.at_line_start = False
        return True

    def _step_fenced_line(self, block: _Block, fence: fenced_files.FenceBody) -> bool:
        newline = self._buf.find("\n")
        line = self._buf if newline < 0 else self._buf[:newline]
        step = fence.line_start(line, complete=newline >= 0 or self._finished)
        if step is None:
            return False
        if step.next_path is not None and self._path_refusal(step.next_path) is not None:
            block.at_line_start = False  # an unsafe path comment stays a comment
            return True
        if step.closes:
            self._consume(len(line) + (1 if newline >= 0 else 0))
            self._close(block)
            if step.next_path is not None:
                self._open_fenced(step.next_path, fence)
            return True
        self._consume(step.skip)
        block.at_line_start = False
        return True

    def _step_fence_lines(self, block: _Block, line: str, complete: bool, line_len: int) -> bool:
        """Hold a closing-fence line (and the lines after it) until we see what follows."""
        held = block.pending_fence
        if held and block.kind == "file" and line.startswith("<"):
            decided = self._fence_then_tag(block, line, complete)
            if decided is not None:
                return decided
        if not complete and (tags.could_be_fence_close(line) or (held and block.kind == "file")):
            return False
        if not complete and held and not line.strip():
            return False
        if complete and tags.is_fence_close(line):
            self._consume(line_len)
            self._emit_body(block, held)
            block.pending_fence = line + "\n"
            return True
        if held and complete and (block.kind == "file" or not line.strip()):
            # After a fenced <file>'s closing fence: prose if a tag or the end comes next,
            # the file's content if its </file> does.
            block.pending_fence += self._consume(line_len)
            return True
        self._emit_body(block, held)
        block.pending_fence = ""
        block.at_line_start = False
        return True

    def _fence_then_tag(self, block: _Block, line: str, complete: bool) -> bool | None:
        """A fenced ``<file>`` whose fence closed and a later line opens a tag: the model
        forgot ``</file>``, so the file ends at its fence (``None``: the line is body text)."""
        end = line.find(">", 0, self._tag_hold)
        if end < 0:
            waiting = not complete and len(line) < self._tag_hold
            return False if waiting and tags.could_be_tag(line[: len("</summary")]) else None
        tag = tags.parse_tag(line[: end + 1])
        if tag is None or isinstance(tag, tags.StrayCloseTag):
            return None
        self._end_at_fence(block)
        return True

    def _end_at_fence(self, block: _Block) -> None:
        """Close a fenced ``<file>`` at its closing fence; what followed it is prose, and what
        follows now is read as outside."""
        after = tags.after_closing_fence(block.pending_fence)
        block.pending_fence = ""
        self._close(block)
        self._skip_newline = False
        self._at_line_start = True
        if after:
            self._emit_prose(after)

    def _step_mid_line(self, block: _Block) -> bool:
        buf = self._buf
        newline = buf.find("\n")
        segment = buf if newline < 0 else buf[: newline + 1]
        at = -1 if block.fence_mode else segment.find(block.close)
        if at < 0:
            hold = 0
            if newline < 0 and not self._finished and not block.fence_mode:
                hold = tags.partial_suffix_len(segment, block.close)
            text = segment[: len(segment) - hold]
            if not text:
                return False
            self._emit_body(block, self._consume(len(text)))
            block.at_line_start = text.endswith("\n")
            return True
        # A closing tag that ends a line closes the block too (models write "x = 1</file>").
        after = at + len(block.close)
        ends_line = buf[after : after + 1] == "\n" or (after == len(buf) and self._finished)
        if ends_line:
            self._emit_body(block, self._consume(at))
            self._consume(len(block.close))
            self._close(block)
            return True
        if after == len(buf):
            if at == 0:
                return False
            self._emit_body(block, self._consume(at))
            return True
        self._emit_body(block, self._consume(after))
        return True

    def _emit_body(self, block: _Block, text: str) -> None:
        if not text:
            return
        block.parts.append(text)
        if not block.discard:
            self._out.append(FileText(block.path, text))

    def _close(self, block: _Block) -> None:
        self._block = None
        if not block.fence_mode:
            self._skip_newline = True
        self._at_line_start = block.fence_mode
        if not block.discard:
            self._out.append(FileClosed(block.path, block.kind, "".join(block.parts)))

    # --- summary and end of stream -------------------------------------------------------

    def _step_summary(self, parts: list[str]) -> bool:
        at = self._buf.find(_SUMMARY_CLOSE)
        if at >= 0:
            parts.append(self._consume(at))
            self._consume(len(_SUMMARY_CLOSE))
            self._summary = None
            self._skip_newline = True
            self._out.append(Summary("".join(parts).strip()))
            return True
        hold = 0 if self._finished else tags.partial_suffix_len(self._buf, _SUMMARY_CLOSE)
        if len(self._buf) == hold:
            return False
        parts.append(self._consume(len(self._buf) - hold))
        return True

    def _end_of_stream(self) -> None:
        if self._summary is not None:
            self._out.append(Summary("".join(self._summary).strip()))
            self._summary = None
        block, self._block = self._block, None
        if block is None or block.discard:
            return
        if block.pending_fence and block.kind == "file":
            self._end_at_fence(block)
            return
        self._emit_body(block, block.pending_fence)
        self._out.append(FileUnclosed(block.path, block.kind, "".join(block.parts)))
