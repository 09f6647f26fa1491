"""The CLI's live view of a generation: a progress stepper and the file being written."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from apiforge.events.types import (
    CodeChunk,
    Event,
    FileComplete,
    FileGenerating,
    MessageChunk,
    StepComplete,
    StepProgress,
    StepStart,
    ValidationProgress,
)

STEPS = ("planning", "generating", "validating", "complete")
TAIL_LINES = 14


@dataclass
class GenerationView:
    """Folds events into what the terminal shows; ``render()`` draws it."""

    step_state: dict[str, str] = field(default_factory=lambda: dict.fromkeys(STEPS, "waiting"))
    message: str = ""
    current_path: str | None = None
    current_text: str = ""
    completed: list[tuple[str, str, int]] = field(default_factory=list)
    prose: str = ""
    stages: list[str] = field(default_factory=list)

    def apply(self, event: Event) -> None:
        if isinstance(event, StepStart):
            if event.resumed:
                self.start_again()
            self.step_state[event.step] = "active"
            self.message = event.message
        elif isinstance(event, StepProgress) and event.resumed:
            self.message = event.message
        elif isinstance(event, StepComplete):
            self.step_state[event.step] = "done"
        elif isinstance(event, MessageChunk):
            self.prose += event.text
        elif isinstance(event, FileGenerating):
            self.current_path, self.current_text = event.path, ""
        elif isinstance(event, CodeChunk) and event.path == self.current_path:
            self.current_text = self.current_text[: event.offset] + event.chunk
        elif isinstance(event, FileComplete):
            self.current_text = event.content
            # A file sent again after a restart is still one file.
            self.completed = [c for c in self.completed if c[0] != event.path]
            self.completed.append((event.path, event.operation, event.size))
        elif isinstance(event, ValidationProgress):
            mark = stage_mark(event)
            self.stages.append(f"{mark} {event.stage}: {event.detail}")

    def start_again(self) -> None:
        """A generation that re-ran after a restart and answered differently: forget its stream."""
        self.step_state = dict.fromkeys(STEPS, "waiting")
        self.current_path, self.current_text = None, ""
        self.completed, self.prose, self.stages = [], "", []

    def stepper(self) -> Text:
        icons = {"waiting": "○", "active": "◉", "done": "✓"}
        text = Text()
        for i, step in enumerate(STEPS):
            state = self.step_state[step]
            style = {"waiting": "dim", "active": "bold yellow", "done": "green"}[state]
            text.append(f"{icons[state]} {step.capitalize()}", style=style)
            if i < len(STEPS) - 1:
                text.append("  →  ", style="dim")
        return text

    def render(self) -> RenderableType:
        parts: list[RenderableType] = [self.stepper(), Text(self.message, style="dim")]
        if self.current_path:
            tail = "\n".join(self.current_text.splitlines()[-TAIL_LINES:])
            lexer = Syntax.guess_lexer(self.current_path, code=tail)
            body = Syntax(tail or " ", lexer, line_numbers=False, word_wrap=True)
            parts.append(Panel(body, title=self.current_path, title_align="left"))
        parts.append(Text(f"{len(self.completed)} file(s) written", style="cyan"))
        return Group(*parts)


def files_table(completed: list[tuple[str, str, int]]) -> Table:
    table = Table(title="Files", show_edge=False)
    table.add_column("file")
    table.add_column("change")
    table.add_column("bytes", justify="right")
    colours = {"created": "green", "modified": "yellow", "deleted": "red"}
    for path, operation, size in completed:
        table.add_row(path, Text(operation, style=colours.get(operation, "")), str(size))
    return table


def stage_mark(event: ValidationProgress) -> str:
    """✓ passed, ✗ failed, ? passed without proving anything (the fuzz budget ran out first:
    a check mark would claim fuzzing that did not happen)."""
    if not event.ok:
        return "✗"
    return "?" if event.detail.startswith("inconclusive") else "✓"
