"""Turns parser output into public file events and the version's staged file changes.

A file enters the version only when its block closed and its content parses (invariant 4);
content still streams to clients as it arrives, so people watch it being written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from apiforge.events.types import (
    FileComplete,
    FileGenerating,
    FileOperation,
    MessageChunk,
    StepProgress,
)
from apiforge.generation.reply_format.edits import apply_edit
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
from apiforge.generation.version_run import (
    GENERATING_PROGRESS,
    VALIDATING_PROGRESS,
    VersionRun,
)
from apiforge.sandbox.module_imports import ParsedModules


def sha256_text(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


@dataclass
class StagedChanges:
    """What the stream produced: new contents (None = deleted), prose, summary, problems.

    Edits that did not apply are kept apart (by path) because they are sent back to the model
    once, and a later successful change of the same file makes them moot.
    """

    changes: dict[str, str | None] = field(default_factory=dict)
    prose: list[str] = field(default_factory=list)
    summary: str = ""
    problems: list[str] = field(default_factory=list)
    edit_failures: dict[str, str] = field(default_factory=dict)
    # Blocks the parser recognised (opened, deleted or refused): none means "no files" to a
    # fix round, whatever happened to them afterwards.
    blocks_seen: int = 0


class Assembler:
    def __init__(
        self,
        run: VersionRun,
        previous: Mapping[str, str],
        *,
        planning_done: bool = False,
        on_file: Callable[[str, str], None] | None = None,
        parsed: ParsedModules | None = None,
    ) -> None:
        self._run = run
        self._emit = run.emitter
        self._ids = run.emitter.ids
        self._previous = previous
        # Told each accepted file at once, so validation stages can start before the stream ends.
        self._on_file = on_file
        # Shared with the partial preview's boot check, which then parses nothing again.
        self._parsed = parsed if parsed is not None else ParsedModules()
        self.staged = StagedChanges()
        # A fix round streams into a version whose planning step already finished.
        self._planning_done = planning_done
        self._files_started = 0
        self._files_done = 0
        self._current_kind = "file"

    def operation(self, path: str) -> FileOperation:
        return "modified" if path in self._previous else "created"

    async def handle(self, item: ParseEvent) -> None:
        if isinstance(item, FileOpened | FileDeleted | Rejected):
            self.staged.blocks_seen += 1
        if isinstance(item, Prose):
            self.staged.prose.append(item.text)
            await self._emit.emit(MessageChunk(**self._ids, text=item.text))
        elif isinstance(item, FileOpened):
            await self._open(item)
        elif isinstance(item, FileText):
            if self._current_kind == "file":
                await self._emit.code(item.path, item.text)
        elif isinstance(item, FileClosed):
            await self._close(item)
        elif isinstance(item, FileDeleted):
            await self._delete(item.path)
        elif isinstance(item, Summary):
            self.staged.summary = item.text.strip()
        elif isinstance(item, FileUnclosed):
            self.staged.problems.append(f"{item.path} was cut off before it was complete")
        elif isinstance(item, Rejected):
            self.staged.problems.append(f"{item.path}: {item.reason}")

    async def finish_planning(self) -> None:
        if self._planning_done:
            return
        self._planning_done = True
        await self._run.close_step("planning", "Plan ready", timed=False)
        await self._run.open_step("generating", "Writing files", GENERATING_PROGRESS)

    async def _open(self, item: FileOpened) -> None:
        await self.finish_planning()
        self._current_kind = item.kind
        self._files_started += 1
        self._emit.reset_file(item.path)
        operation = self.operation(item.path)
        await self._emit.emit(FileGenerating(**self._ids, path=item.path, operation=operation))
        await self._emit.emit(
            StepProgress(
                **self._ids,
                step="generating",
                message=f"Generating {item.path} ({self._files_started} files so far)",
                progress=self._progress(),
            )
        )

    async def _close(self, item: FileClosed) -> None:
        content = item.body
        if item.kind == "edit":
            applied = self._apply_edit(item.path, item.body)
            if applied is None:
                return
            content = applied
            await self._emit.code(item.path, content)
        problem = self._parsed.problem(item.path, content)
        if problem is not None:
            self.staged.problems.append(f"{problem} (file not stored)")
            return
        self.staged.changes[item.path] = content
        if self._on_file is not None:
            self._on_file(item.path, content)
        self._files_done += 1
        await self._emit.emit(
            FileComplete(
                **self._ids,
                path=item.path,
                operation=self.operation(item.path),
                size=len(content.encode()),
                sha256=sha256_text(content),
                content=content,
            )
        )

    def _apply_edit(self, path: str, body: str) -> str | None:
        original = self.staged.changes.get(path) or self._previous.get(path)
        if original is None:
            self.staged.problems.append(f"{path}: an edit for a file that does not exist")
            return None
        result = apply_edit(original, body)
        if not result.ok:
            # Sections that applied are kept; what failed is told in the chat.
            failure = result.failure_message(path)
            earlier = self.staged.edit_failures.get(path)
            self.staged.edit_failures[path] = f"{earlier}\n\n{failure}" if earlier else failure
        return result.text

    async def _delete(self, path: str) -> None:
        await self.finish_planning()
        if path not in self._previous and path not in self.staged.changes:
            return
        self.staged.changes[path] = None
        await self._emit.emit(FileGenerating(**self._ids, path=path, operation="deleted"))
        await self._emit.emit(
            FileComplete(**self._ids, path=path, operation="deleted", size=0, sha256="", content="")
        )

    def _progress(self) -> int:
        span = VALIDATING_PROGRESS - GENERATING_PROGRESS
        done = self._files_done
        return GENERATING_PROGRESS + int(span * done / (done + 4))
