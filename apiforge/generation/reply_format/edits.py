"""Applying an ``<edit>`` body (SEARCH/REPLACE sections) to a file's previous content.

Each section is tried in order against the text as the earlier sections left it: an exact
line match first, then one that ignores whitespace (re-indenting the replacement to the
matched code), then a bounded fuzzy match (similarity >= ``FUZZY_THRESHOLD`` over a window
of the same number of lines). A section that still does not match is skipped — the others
are kept — and reported with the nearest lines, so the model can be asked once more
("did you mean …") and the person can be told what failed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

FUZZY_THRESHOLD = 0.85
# Bounds the fuzzy search: windows compared per section (each is one SequenceMatcher run).
MAX_FUZZY_WINDOWS = 5000

MatchKind = Literal["exact", "whitespace", "fuzzy", "already_applied", "append"]

_SEARCH = re.compile(r"\s*<{5,9}\s*SEARCH\s*")
_DIVIDER = re.compile(r"\s*={5,9}\s*")
_REPLACE = re.compile(r"\s*>{5,9}\s*REPLACE\s*")


@dataclass(frozen=True)
class EditSection:
    """``search``/``replace`` are lines, each ending in a newline ("" = no lines at all)."""

    search: str
    replace: str


@dataclass(frozen=True)
class SectionFailure:
    index: int
    search: str
    reason: str
    # The lines that came closest, 1-based, for "did you mean …".
    nearest: str | None = None
    nearest_line: int | None = None


@dataclass(frozen=True)
class EditResult:
    text: str
    applied: tuple[tuple[int, MatchKind], ...]
    failures: tuple[SectionFailure, ...]

    @property
    def ok(self) -> bool:
        return not self.failures

    def failure_message(self, path: str) -> str:
        """What failed, for the chat and for the one repair request sent back to the model."""
        return "\n\n".join(describe_failure(path, failure) for failure in self.failures)


def describe_failure(path: str, failure: SectionFailure) -> str:
    head = f"{path}: SEARCH block {failure.index + 1} {failure.reason}."
    if failure.nearest is None or failure.nearest_line is None:
        return head
    last = failure.nearest_line + failure.nearest.count("\n")
    return (
        f"{head} Did you mean lines {failure.nearest_line}-{last}?\n"
        f"{failure.nearest}\n(it searched for)\n{failure.search.rstrip()}"
    )


def parse_sections(body: str) -> tuple[list[EditSection], list[str]]:
    """The sections of an edit body, plus a note for each malformed one."""
    sections: list[EditSection] = []
    problems: list[str] = []
    lines = body.split("\n")
    index = 0
    while index < len(lines):
        if not _SEARCH.fullmatch(lines[index]):
            index += 1
            continue
        divider = _find(lines, _DIVIDER, index + 1)
        end = _find(lines, _REPLACE, divider + 1) if divider >= 0 else -1
        if end < 0:
            problems.append("has no '=======' and '>>>>>>> REPLACE' after its SEARCH line")
            break
        search = "".join(line + "\n" for line in lines[index + 1 : divider])
        replace = "".join(line + "\n" for line in lines[divider + 1 : end])
        sections.append(EditSection(search, replace))
        index = end + 1
    return sections, problems


def _find(lines: list[str], pattern: re.Pattern[str], start: int) -> int:
    return next((i for i in range(start, len(lines)) if pattern.fullmatch(lines[i])), -1)


def render_sections(sections: list[EditSection]) -> str:
    """The edit body for ``sections`` (the inverse of :func:`parse_sections`)."""
    return "".join(
        f"<<<<<<< SEARCH\n{_lines(s.search)}=======\n{_lines(s.replace)}>>>>>>> REPLACE\n"
        for s in sections
    )


def _lines(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def apply_edit(original: str, body: str) -> EditResult:
    sections, problems = parse_sections(body)
    result = apply_sections(original, sections)
    malformed = tuple(
        SectionFailure(len(sections) + offset, "", problem)
        for offset, problem in enumerate(problems)
    )
    if not sections and not problems:
        malformed = (SectionFailure(0, "", "is missing: no SEARCH/REPLACE section found"),)
    return EditResult(result.text, result.applied, result.failures + malformed)


def apply_sections(original: str, sections: list[EditSection]) -> EditResult:
    lines, ends_with_newline = _split(original)
    applied: list[tuple[int, MatchKind]] = []
    failures: list[SectionFailure] = []
    for index, section in enumerate(sections):
        outcome = _apply_one(lines, section)
        if isinstance(outcome, tuple):
            lines, kind = outcome
            applied.append((index, kind))
            ends_with_newline = ends_with_newline or kind == "append"
        else:
            failures.append(_failure(index, section, outcome))
    return EditResult(_join(lines, ends_with_newline), tuple(applied), tuple(failures))


def _split(text: str) -> tuple[list[str], bool]:
    if not text:
        return [], False
    ends_with_newline = text.endswith("\n")
    return text.removesuffix("\n").split("\n"), ends_with_newline


def _join(lines: list[str], ends_with_newline: bool) -> str:
    return "\n".join(lines) + ("\n" if ends_with_newline and lines else "")


def _section_lines(text: str) -> list[str]:
    return text.removesuffix("\n").split("\n") if text else []


@dataclass(frozen=True)
class _Nearest:
    start: int
    ratio: float
    window: tuple[str, ...] = ()


def _apply_one(lines: list[str], section: EditSection) -> tuple[list[str], MatchKind] | _Nearest:
    search, replace = _section_lines(section.search), _section_lines(section.replace)
    if not [line for line in search if line.strip()]:
        return lines + replace, "append"
    start = _find_window(lines, search, _exact)
    if start >= 0:
        return _splice(lines, start, len(search), replace), "exact"
    start = _find_window(lines, search, _loose)
    if start >= 0:
        replace = _reindent(search, lines[start : start + len(search)], replace)
        return _splice(lines, start, len(search), replace), "whitespace"
    if _distinctive(replace) and _find_window(lines, replace, _exact) >= 0:
        return lines, "already_applied"
    nearest = _nearest_window(lines, search)
    if nearest.ratio >= FUZZY_THRESHOLD:
        replace = _reindent(search, lines[nearest.start : nearest.start + len(search)], replace)
        return _splice(lines, nearest.start, len(search), replace), "fuzzy"
    return nearest


def _distinctive(replace: list[str]) -> bool:
    """Long enough that finding it already in the file means this section was applied before."""
    return len("".join(line.strip() for line in replace)) >= 20


def _exact(a: str, b: str) -> bool:
    return a == b


def _loose(a: str, b: str) -> bool:
    return a.split() == b.split()


def _find_window(lines: list[str], search: list[str], same: Callable[[str, str], bool]) -> int:
    for start in range(len(lines) - len(search) + 1):
        if all(same(lines[start + i], search[i]) for i in range(len(search))):
            return start
    return -1


def _splice(lines: list[str], start: int, length: int, replace: list[str]) -> list[str]:
    return lines[:start] + replace + lines[start + length :]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _reindent(search: list[str], matched: list[str], replace: list[str]) -> list[str]:
    """Shift the replacement by the indentation difference between SEARCH and the real code."""
    pairs = [(s, m) for s, m in zip(search, matched, strict=False) if s.strip() and m.strip()]
    if not pairs:
        return replace
    wrong, right = _indent(pairs[0][0]), _indent(pairs[0][1])
    if wrong == right:
        return replace
    return [right + line.removeprefix(wrong) if line.strip() else line for line in replace]


def _nearest_window(lines: list[str], search: list[str]) -> _Nearest:
    wanted = "\n".join(line.strip() for line in search)
    best = _Nearest(-1, 0.0)
    size = len(search)
    windows = max(1, len(lines) - len(search) + 1)
    step = max(1, windows // MAX_FUZZY_WINDOWS)
    for start in range(0, windows, step):
        window = lines[start : start + size]
        candidate = "\n".join(line.strip() for line in window)
        matcher = SequenceMatcher(None, wanted, candidate, autojunk=False)
        if matcher.real_quick_ratio() <= best.ratio or matcher.quick_ratio() <= best.ratio:
            continue
        ratio = matcher.ratio()
        if ratio > best.ratio:
            best = _Nearest(start, ratio, tuple(window))
    return best


def _failure(index: int, section: EditSection, nearest: _Nearest) -> SectionFailure:
    if nearest.start < 0 or nearest.ratio < 0.4:
        return SectionFailure(index, section.search, "did not match anything")
    return SectionFailure(
        index,
        section.search,
        f"did not match (the closest lines are {nearest.ratio:.0%} similar)",
        nearest="\n".join(nearest.window),
        nearest_line=nearest.start + 1,
    )
