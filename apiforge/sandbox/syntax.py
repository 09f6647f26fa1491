"""The syntax stage, done on the host as each file completes rather than after the stream ends.

Parsing never runs the code it reads, and CPython's parser bounds its own nesting, so this is
safe outside the sandbox; it lets the stage finish while the model is still writing later files.
Results are kept per (path, content hash), so the stage at the end only parses what the
stream did not already deliver (the files a follow-up left unchanged, or all of them after a
restart).
"""

from __future__ import annotations

import hashlib
import json
import time
import tomllib
from collections import OrderedDict
from collections.abc import Mapping

from apiforge.sandbox.base import StageResult
from apiforge.sandbox.report import stage_result

PARSED_SUFFIXES = (".py", ".json", ".toml")
MEMO_ENTRIES = 4096


def parsed(path: str) -> bool:
    """Files the stage checks: by suffix, outside hidden folders such as ``.apiforge/``."""
    hidden = any(part.startswith(".") for part in path.split("/")[:-1])
    return path.endswith(PARSED_SUFFIXES) and not hidden


def file_problem(path: str, content: str) -> str | None:
    """``path:line - message`` when the file does not parse; None when it does."""
    try:
        if path.endswith(".py"):
            compile(content, path, "exec", dont_inherit=True, flags=0x400)  # PyCF_ONLY_AST
        elif path.endswith(".json"):
            json.loads(content)
        elif path.endswith(".toml"):
            tomllib.loads(content)
    except SyntaxError as error:
        return f"{path}:{error.lineno or 0} - {error.msg}"
    except ValueError as error:
        return f"{path}:{getattr(error, 'lineno', 0) or 0} - {str(error)[:200]}"
    except (RecursionError, MemoryError):
        return f"{path}:0 - too deeply nested to parse"
    return None


class SyntaxMemo:
    """Parse results by (path, sha256 of content), bounded; one per validator."""

    def __init__(self, max_entries: int = MEMO_ENTRIES) -> None:
        self._max = max_entries
        self._results: OrderedDict[tuple[str, str], str | None] = OrderedDict()
        self.parses = 0  # files actually parsed, as opposed to answered from memory

    def check(self, path: str, content: str) -> str | None:
        key = (path, hashlib.sha256(content.encode()).hexdigest())
        if key in self._results:
            self._results.move_to_end(key)
            return self._results[key]
        problem = file_problem(path, content)
        self.parses += 1
        self._remember(key, problem)
        return problem

    def parsed_elsewhere(self, path: str, content: str) -> None:
        """``content`` was parsed as ``path`` by the generation's assembler, which accepts only
        files that parse: remember that rather than parse it again on the event loop."""
        self._remember((path, hashlib.sha256(content.encode()).hexdigest()), None)

    def _remember(self, key: tuple[str, str], problem: str | None) -> None:
        self._results[key] = problem
        self._results.move_to_end(key)
        if len(self._results) > self._max:
            self._results.popitem(last=False)

    def stage(self, files: Mapping[str, str]) -> StageResult:
        started = time.monotonic()
        checked = sorted(path for path in files if parsed(path))
        problems = [p for path in checked if (p := self.check(path, files[path])) is not None]
        if problems:
            detail = f"{len(problems)} of {len(checked)} files do not parse: {problems[0]}"
        else:
            detail = f"{len(checked)} files parse"
        return stage_result("syntax", not problems, detail, started, time.monotonic(), problems)
