"""Whether a partial file tree is worth booting: cheap, in-process, no sandbox.

While a generation streams, the preview is started as soon as the app's entry module and every
project module it imports (transitively) exist and parse. Booting is the real test (a sandboxed
process, ~0.3 s); this check only skips boots that cannot work yet, and says which file broke.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from apiforge.sandbox.module_imports import ImportStatement, ParsedModules
from apiforge.sandbox.stages import find_app_target


@dataclass(frozen=True)
class BootCheck:
    # ready: boot it; waiting: a module it needs has not landed yet; broken: a file that landed
    # cannot boot (``reason`` says which and why).
    state: Literal["ready", "waiting", "broken"]
    target: str | None = None
    reason: str = ""
    # ready: the project files the app imports (entry module first): what a restart would change.
    modules: tuple[str, ...] = ()


def check_boot(files: Mapping[str, str], parsed: ParsedModules | None = None) -> BootCheck:
    """``parsed``: the stream's parse results, so a module is parsed once, not at each check."""
    parsed = parsed if parsed is not None else ParsedModules()
    target = find_app_target(files)
    if target is None:
        return BootCheck("waiting", reason="no FastAPI app yet")
    roots = {path.split("/", 1)[0].removesuffix(".py") for path in files if path.endswith(".py")}
    pending = [target.split(":", 1)[0]]
    seen: set[str] = set()
    paths: list[str] = []
    while pending:
        module = pending.pop(0)  # in import order, so the first missing one is named
        if module in seen:
            continue
        seen.add(module)
        path = module_path(files, module)
        if path is None:
            return BootCheck("waiting", target, f"{module} is not written yet")
        paths.append(path)
        module_file = parsed.get(path, files[path])
        if (problem := module_file.problem) is not None:
            return BootCheck("broken", target, f"{path} line {problem.line}: {problem.message}")
        package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
        names = imported(module_file.imports, package, files)
        pending += [name for name in names if name.split(".")[0] in roots]
    return BootCheck("ready", target, modules=tuple(paths))


def module_path(files: Mapping[str, str], module: str) -> str | None:
    base = module.replace(".", "/")
    for path in (f"{base}.py", f"{base}/__init__.py"):
        if path in files:
            return path
    return None


def imported(
    statements: tuple[ImportStatement, ...], package: str, files: Mapping[str, str]
) -> list[str]:
    """Modules a file's import ``statements`` name (absolute names; ``from p import m`` counts
    ``p.m`` when ``m`` is a module of the project, else ``p``)."""
    names: list[str] = []
    for statement in statements:
        if not statement.from_import:
            names.append(statement.module)
            continue
        parent = _absolute(statement, package)
        names.append(parent)
        for name in statement.names:
            child = f"{parent}.{name}"
            if module_path(files, child) is not None or _declares_module(files, parent):
                names.append(child)
    # Each import also needs its parent packages.
    return [
        ".".join(name.split(".")[: i + 1]) for name in names for i in range(name.count(".") + 1)
    ]


def _absolute(statement: ImportStatement, package: str) -> str:
    if not statement.level:
        return statement.module
    parts = package.split(".") if package else []
    parent = parts[: len(parts) - statement.level + 1]
    return ".".join([*parent, *([statement.module] if statement.module else [])])


def _declares_module(files: Mapping[str, str], parent: str) -> bool:
    """``from app.routers import items`` when app/routers is a package without ``items`` in its
    ``__init__``: ``items`` is a module still to come."""
    path = module_path(files, parent)
    return path is not None and path.endswith("__init__.py")
