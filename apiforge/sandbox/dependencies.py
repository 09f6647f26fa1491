"""The dependencies stage: every requirement a project declares must exist in the runtime.

Only reads text (requirements.txt, pyproject.toml); nothing is installed. A different version than
requested is reported but accepted: generated projects pin versions by habit, and the runtime's
versions are the ones the project is validated against.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement

from apiforge.sandbox.runtime import normalize_distribution_name

# Names that models often list but that are part of Python or of another listed package.
_BUILTIN = {"sqlite3", "asyncio", "typing", "dataclasses", "uuid", "json", "datetime", "enum"}


@dataclass
class DependencyCheck:
    declared: int = 0
    problems: list[str] = field(default_factory=list)
    other_versions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def detail(self) -> str:
        if self.problems:
            return f"{len(self.problems)} missing from the runtime: {self.problems[0]}"
        if self.declared == 0:
            return "no requirements declared"
        text = f"{self.declared} requirements available"
        if self.other_versions:
            text += f" ({len(self.other_versions)} at other versions: "
            text += ", ".join(self.other_versions[:3]) + ")"
        return text


def _requirement_lines(files: Mapping[str, str]) -> list[tuple[str, int, str]]:
    found: list[tuple[str, int, str]] = []
    for path in sorted(files):
        if path.rsplit("/", 1)[-1].startswith("requirements") and path.endswith(".txt"):
            for number, raw in enumerate(files[path].splitlines(), start=1):
                line = raw.split(" #", 1)[0].strip()
                if line and not line.startswith("#"):
                    found.append((path, number, line))
    if "pyproject.toml" in files:
        found += _pyproject_lines(files["pyproject.toml"])
    return found


def _pyproject_lines(text: str) -> list[tuple[str, int, str]]:
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return []
    project = data.get("project")
    deps = project.get("dependencies", []) if isinstance(project, dict) else []
    if not isinstance(deps, list):
        return []
    return [("pyproject.toml", 0, str(dep)) for dep in deps]


def check_requirements(files: Mapping[str, str], installed: Mapping[str, str]) -> DependencyCheck:
    check = DependencyCheck()
    environment: dict[str, str] = {k: str(v) for k, v in default_environment().items()}
    for path, number, line in _requirement_lines(files):
        where = f"{path}:{number}" if number else path
        if line.startswith("-"):
            check.problems.append(f"{where} - pip options are not supported: {line[:80]}")
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as error:
            check.problems.append(f"{where} - not a valid requirement: {str(error)[:120]}")
            continue
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        check.declared += 1
        name = normalize_distribution_name(requirement.name)
        if name in _BUILTIN:
            continue
        version = installed.get(name)
        if version is None:
            check.problems.append(
                f"{where} - package '{requirement.name}' is not available in the validation "
                "runtime; remove it or use what the runtime offers (fastapi, pydantic, sqlalchemy…)"
            )
        elif requirement.specifier and not requirement.specifier.contains(version, True):
            check.other_versions.append(f"{requirement.name} {version}")
    return check
