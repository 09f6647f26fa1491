"""Reading the output of ``pytest -q --tb=line -rfE``: counts, failing tests, assertion lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)")
_SUMMARY = re.compile(r"^(?:=+ )?.*\b(passed|failed|errors?|no tests ran)\b.* in [\d.]+s")
_FAILED = re.compile(r"^(FAILED|ERROR) (\S+)(?: - (.*))?$")
_LOCATION = re.compile(r"^(?:/app/)?(\S+?\.py):(\d+): (.+)$")
_EXIT_MEANING = {
    2: "pytest was interrupted (collection errors?)",
    3: "pytest failed internally",
    4: "pytest could not start",
}


@dataclass
class PytestSummary:
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    failing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    exit_code: int | None = None
    output_tail: str = ""

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors

    @property
    def ok(self) -> bool:
        return self.exit_code in (0, 5) and self.failed == 0 and self.errors == 0

    @property
    def detail(self) -> str:
        if self.exit_code == 5:
            return "no tests found"
        if self.total == 0 and not self.ok:
            return _EXIT_MEANING.get(self.exit_code or 0, "tests did not run") + (
                f": {self.output_tail}" if self.output_tail else ""
            )
        text = f"{self.passed}/{self.total} tests passed"
        if self.failing:
            names = ", ".join(name.rsplit("::", 1)[-1] for name in self.failing[:3])
            more = f" and {len(self.failing) - 3} more" if len(self.failing) > 3 else ""
            text += f"; failing: {names}{more}"
        return text


def _relative(path: str, inside_dir: str) -> str:
    prefix = inside_dir.rstrip("/") + "/"
    return path[len(prefix) :] if inside_dir and path.startswith(prefix) else path


def summarize_pytest(output: str, exit_code: int | None, inside_dir: str = "") -> PytestSummary:
    summary = PytestSummary(exit_code=exit_code)
    locations: list[str] = []
    for line in output.splitlines():
        line = line.rstrip()
        failed = _FAILED.match(line)
        if failed:
            name = _relative(failed.group(2), inside_dir)
            summary.failing.append(name)
            message = f" - {failed.group(3)}" if failed.group(3) else ""
            summary.problems.append(f"{failed.group(1)} {name}{message}"[:300])
            continue
        located = _LOCATION.match(_relative(line, inside_dir))
        # Absolute paths are the runtime's own files (plugin warnings), not the project's.
        if located and not located.group(1).startswith("/"):
            path, number, message = located.groups()
            locations.append(f"{path}:{number} - {message}"[:300])
        if _SUMMARY.match(line):
            for count, kind in _COUNT.findall(line):
                _add_count(summary, kind, int(count))
    summary.problems = locations + summary.problems
    if not summary.ok and not summary.problems:
        summary.output_tail = "\n".join(output.strip().splitlines()[-5:])[-600:]
        summary.problems.append(summary.output_tail or f"pytest exited with code {exit_code}")
    return summary


def _add_count(summary: PytestSummary, kind: str, count: int) -> None:
    if kind == "passed":
        summary.passed = count
    elif kind == "failed":
        summary.failed = count
    elif kind.startswith("error"):
        summary.errors = count
    elif kind == "skipped":
        summary.skipped = count
