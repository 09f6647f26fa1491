"""The first thing a fix round asks for: one error, the file and line it is in, that line.

A validation problem list is complete but long: a boot traceback, the same error again from
pytest's collection, sandbox paths (``/app/app/main.py``). Small models answered it by sending
the same files back. So the repair request ends with the first problem made concrete: the
project file and line (the deepest traceback frame inside the project), the error line itself,
the source line as the model wrote it, and what to change. And when the layout is what fails —
no ``app/main.py`` while ``uvicorn app.main:app`` is how the project runs — it says so, naming
where the model did put its app. Only what validation found is said; nothing is written for
the model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from apiforge.sandbox.stages import find_app_target

_FRAME = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)')
# ``tests: ERROR tests/test_a.py - NameError: …`` / ``tests: FAILED tests/test_a.py::test_x - …``
_PYTEST = re.compile(r"^tests: (?:ERROR|FAILED) (?P<path>[\w./-]+?\.py)(?:::\S+)? - (?P<error>.+)")
# ``dependencies: requirements.txt:3 - package 'x' is not available …``
_LOCATED = re.compile(r"^\w+: (?P<path>[\w./-]+):(?P<line>\d+) - (?P<error>.+)")
_IMPORTS_ENTRY = re.compile(r"^\s*(?:from app\.main import|import app\.main)", re.MULTILINE)
_MODULE_NOT_FOUND = re.compile(r"No module named '(?P<module>[\w.]+)'")
ENTRY = "app/main.py"


@dataclass(frozen=True)
class Focus:
    """``path`` is ``None`` when the error names no project file: a traceback cut before
    the project's frames, or a test module that failed to import (whose cause is often in
    the app, not in the test)."""

    path: str | None
    line: int | None
    error: str
    source: str | None = None

    def render(self) -> str:
        if self.path is None:
            return f"Fix this first: {self.error}"
        where = f"{self.path}, line {self.line}" if self.line else self.path
        text = f"Fix this first — {where}: {self.error}"
        if self.source:
            text += f"\nThat line is:\n    {self.source.strip()}"
        if _is_test(self.path) and self.error.startswith("AssertionError"):
            # The 0.5B model, told to change the test, only said it had.
            return text + (
                "\nThis test checks the app's answer: change the app code that gives that "
                "answer, and the test only if the test itself is wrong."
            )
        return text + f"\nChange {self.path} to fix it."


def _is_test(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return path.startswith("tests/") or name.startswith("test_")


def _project_path(frame_path: str, files: Mapping[str, str]) -> str | None:
    """The project file a traceback path names (inside the sandbox it starts with /app/)."""
    named = [p for p in files if frame_path == p or frame_path.endswith("/" + p)]
    return max(named, key=len, default=None)


def _error_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _source(files: Mapping[str, str], path: str, line: int | None) -> str | None:
    lines = files.get(path, "").splitlines()
    return lines[line - 1] if line and 0 < line <= len(lines) and lines[line - 1].strip() else None


def _from_problem(problem: str, files: Mapping[str, str]) -> Focus | None:
    frames = [
        (path, int(m["line"]))
        for m in _FRAME.finditer(problem)
        if (path := _project_path(m["path"], files)) is not None
    ]
    if frames:
        path, line = frames[-1]
        return Focus(path, line, _error_line(problem), _source(files, path, line))
    if (match := _LOCATED.match(problem)) and match["path"] in files:
        line = int(match["line"])
        return Focus(match["path"], line, match["error"], _source(files, match["path"], line))
    if (match := _PYTEST.match(problem)) and match["path"] in files:
        named = "::" in problem.split(" - ", 1)[0]  # a failing test, not a failed import
        return Focus(match["path"] if named else None, None, match["error"].strip())
    if problem.startswith("boot:") and _FRAME.search(problem):
        return Focus(None, None, _error_line(problem))
    return None


def first_focus(problems: tuple[str, ...], files: Mapping[str, str]) -> Focus | None:
    """The first problem that names a project file."""
    for problem in problems:
        if (focus := _from_problem(problem, files)) is not None:
            return focus
    return None


def layout_note(problems: tuple[str, ...], files: Mapping[str, str]) -> str | None:
    """Why the layout fails, when ``app/main.py`` is what is missing."""
    if files.get(ENTRY) is not None:
        return None
    target = find_app_target(files)
    if target is None:
        return f"No file creates the FastAPI app: write {ENTRY} with `app = FastAPI()` in it."
    missing = {m["module"] for p in problems for m in _MODULE_NOT_FOUND.finditer(p)}
    imported = any(_IMPORTS_ENTRY.search(body) for body in files.values())
    if not (missing & {"app.main", "app"} or imported):
        return None
    module = target.split(":", 1)[0]
    return (
        f"The project has no {ENTRY}, but it runs as `uvicorn app.main:app` and its tests "
        f"import `app.main`. Your FastAPI app is in module {module}: write {ENTRY} (for example "
        f"with `from {module} import app`) or move the app there."
    )


def focus_text(problems: tuple[str, ...], files: Mapping[str, str]) -> str | None:
    """The closing section of a repair request, or ``None`` when nothing names a file."""
    parts = [note] if (note := layout_note(problems, files)) else []
    if (focus := first_focus(problems, files)) is not None:
        parts.append(focus.render())
    return "\n\n".join(parts) or None


def missing_entry_note(files: Mapping[str, str]) -> str | None:
    """For the chat message of a failed version: the entry point the model did not write, and
    what the version does hold (nothing is written in its place)."""
    if not files or ENTRY in files:
        return None
    target = find_app_target(files)
    app = (
        f"its FastAPI app is in {target.split(':', 1)[0]}" if target else "no file creates the app"
    )
    listed = ", ".join(sorted(files)[:12]) + (" …" if len(files) > 12 else "")
    return f"The model did not write {ENTRY} ({app}). The version holds: {listed}."
