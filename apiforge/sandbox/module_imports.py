"""Each Python file of a streaming version parsed once: whether it parses, and what it imports.

The assembler parses every file it accepts (a file enters a version only if it parses), and the
partial preview's boot check needs the imports of every module the app reaches, after every
burst of files. Parsing those modules again at each check made the work grow with the square
of the files (and it runs on the event loop); one ``ParsedModules`` per stream, shared by both,
parses each content once and keeps only the import statements, not the tree.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class ImportStatement:
    """``import a.b`` (``module="a.b"``) or ``from ..m import x, y`` (``level=2``,
    ``module="m"``, ``names=("x", "y")``, ``from_import=True``)."""

    module: str
    level: int = 0
    names: tuple[str, ...] = ()
    from_import: bool = False


@dataclass(frozen=True)
class SyntaxProblem:
    line: int
    message: str


@dataclass(frozen=True)
class ParsedModule:
    problem: SyntaxProblem | None
    imports: tuple[ImportStatement, ...] = ()


def parse_module(path: str, content: str) -> ParsedModule:
    """``content`` parsed as the Python file ``path``; files of other kinds are not parsed."""
    if not path.endswith(".py"):
        return ParsedModule(None)
    try:
        tree = ast.parse(content, filename=path)
    except SyntaxError as error:
        return ParsedModule(SyntaxProblem(error.lineno or 0, error.msg))
    return ParsedModule(None, tuple(_statements(tree)))


def _statements(tree: ast.Module) -> list[ImportStatement]:
    found: list[ImportStatement] = []
    for node in ast.walk(tree):  # any level: an import inside a function runs too
        if isinstance(node, ast.Import):
            found += [ImportStatement(alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = tuple(alias.name for alias in node.names)
            found.append(ImportStatement(node.module or "", node.level, names, from_import=True))
    return found


class ParsedModules:
    """Parse results by path, for the content last seen at that path (one stream's files)."""

    def __init__(self) -> None:
        self._by_path: dict[str, tuple[str, ParsedModule]] = {}
        self.parses = 0  # contents actually parsed, as opposed to answered from memory

    def get(self, path: str, content: str) -> ParsedModule:
        known = self._by_path.get(path)
        if known is not None and known[0] == content:
            return known[1]
        parsed = parse_module(path, content)
        self.parses += path.endswith(".py")
        self._by_path[path] = (content, parsed)
        return parsed

    def problem(self, path: str, content: str) -> str | None:
        """``path:line - message`` when ``content`` does not parse as ``path``; else None."""
        problem = self.get(path, content).problem
        return None if problem is None else f"{path}:{problem.line} - {problem.message}"
