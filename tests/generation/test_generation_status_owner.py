"""A version's status and steps have one owner: only generation/version_run.py changes them.

Read from the source (AST), so a new ``version.status = ...`` anywhere else fails here at once.
"""

from __future__ import annotations

import ast
from pathlib import Path

import apiforge

PACKAGE = Path(apiforge.__path__[0])
OWNER = PACKAGE / "generation" / "version_run.py"
VOCABULARY = PACKAGE / "store" / "status.py"


def _assigned_targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        targets = [node.target]
    else:
        return []
    flat: list[ast.expr] = []
    while targets:
        target = targets.pop()
        if isinstance(target, ast.Tuple | ast.List):
            targets.extend(target.elts)
        else:
            flat.append(target)
    return flat


def status_writes(tree: ast.AST) -> list[int]:
    """Lines that set a ``status`` attribute, pass ``status=`` to ApiVersion, or setattr it."""
    lines: list[int] = []
    for node in ast.walk(tree):
        for target in _assigned_targets(node):
            if isinstance(target, ast.Attribute) and target.attr == "status":
                lines.append(target.lineno)
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            if name == "ApiVersion" and any(k.arg == "status" for k in node.keywords):
                lines.append(node.lineno)
            if name == "setattr" and len(node.args) > 1:
                attr = node.args[1]
                if isinstance(attr, ast.Constant) and attr.value == "status":
                    lines.append(node.lineno)
    return lines


def test_only_version_run_assigns_a_version_status() -> None:
    writers = {
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in PACKAGE.rglob("*.py")
        if path != OWNER
        for line in status_writes(ast.parse(path.read_text(), filename=str(path)))
    }
    assert writers == set()
    assert status_writes(ast.parse(OWNER.read_text()))  # the check does see assignments


def test_the_check_catches_each_way_of_writing_it() -> None:
    source = (
        "version.status = 'failed'\n"
        "row.status, row.error = 'failed', 'x'\n"
        "ApiVersion(id='1', status='pending')\n"
        "setattr(version, 'status', 'complete')\n"
    )
    assert status_writes(ast.parse(source)) == [1, 2, 3, 4]


def status_lists(tree: ast.AST) -> list[int]:
    """Lines of literal collections that spell out statuses (``pending`` and another one):
    the vocabulary is VersionStatus; steps share two of its words, never ``pending``."""
    statuses = {"pending", "generating", "validating", "complete", "failed", "cancelled"}
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            words = {e.value for e in node.elts if isinstance(e, ast.Constant)}
            if "pending" in words and len(words & statuses) > 1:
                lines.append(node.lineno)
    return lines


def test_the_status_vocabulary_is_defined_once() -> None:
    spelled = {
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in PACKAGE.rglob("*.py")
        if path != VOCABULARY
        for line in status_lists(ast.parse(path.read_text(), filename=str(path)))
    }
    assert spelled == set()
    assert status_lists(ast.parse('ACTIVE = ("pending", "generating", "validating")')) == [1]


def step_events_built(tree: ast.AST) -> list[int]:
    """Lines that build a step:start or step:complete event."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("StepStart", "StepComplete")
    ]


def test_only_version_run_opens_and_closes_steps() -> None:
    """Steps open and close (with their durations) in version_run.py; the one exception is
    resume.py's "written again from the start" marker, which re-opens planning for clients."""
    resume = PACKAGE / "generation" / "steps" / "resume.py"
    builders = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if step_events_built(ast.parse(path.read_text(), filename=str(path)))
    }
    assert builders == {str(OWNER.relative_to(PACKAGE)), str(resume.relative_to(PACKAGE))}
