"""Whether a partial file tree is worth booting: cheap, in-process, no sandbox.

While a generation streams, the preview is started as soon as the app's entry module and every
project module it imports (transitively) exist and parse. Booting is the real test (a sandboxed
process, ~0.3 s); this check only skips boots that cannot work yet, and says which file broke.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

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


def check_boot(files: Mapping[str, str]) -> BootCheck:
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
        try:
            tree = ast.parse(files[path], filename=path)
        except SyntaxError as error:
            return BootCheck("broken", target, f"{path} line {error.lineno}: {error.msg}")
        package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
        pending += [name for name in imported(tree, package, files) if name.split(".")[0] in roots]
    return BootCheck("ready", target, modules=tuple(paths))


def module_path(files: Mapping[str, str], module: str) -> str | None:
    base = module.replace(".", "/")
    for path in (f"{base}.py", f"{base}/__init__.py"):
        if path in files:
            return path
    return None


def imported(tree: ast.Module, package: str, files: Mapping[str, str]) -> list[str]:
    """Modules ``tree`` imports at any level (absolute names; ``from p import m`` counts ``p.m``
    when ``m`` is a module of the project, else ``p``)."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            parent = _absolute(node, package)
            names.append(parent)
            for alias in node.names:
                child = f"{parent}.{alias.name}"
                if module_path(files, child) is not None or _declares_module(files, parent):
                    names.append(child)
    # Each import also needs its parent packages.
    return [
        ".".join(name.split(".")[: i + 1]) for name in names for i in range(name.count(".") + 1)
    ]


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".") if package else []
    parent = parts[: len(parts) - node.level + 1]
    return ".".join([*parent, *([node.module] if node.module else [])])


def _declares_module(files: Mapping[str, str], parent: str) -> bool:
    """``from app.routers import items`` when app/routers is a package without ``items`` in its
    ``__init__``: ``items`` is a module still to come."""
    path = module_path(files, parent)
    return path is not None and path.endswith("__init__.py")
