"""Comparing two versions: per-file unified diffs, and which API routes changed.

Route changes come from two OpenAPI documents: a route is ``(METHOD, path)``; it is *changed* when
its operation differs once local ``$ref``s are inlined, so a change to a shared schema shows up on
every route that uses it.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_NO_NEWLINE = "\\ No newline at end of file\n"


@dataclass(frozen=True)
class FileChange:
    path: str
    operation: str  # created | modified | deleted
    unified_diff: str


@dataclass(frozen=True)
class RouteChange:
    method: str
    path: str
    change: str  # added | removed | changed
    # For "changed": the top-level operation fields that differ (parameters, responses, …).
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouteChanges:
    added: list[RouteChange] = field(default_factory=list)
    removed: list[RouteChange] = field(default_factory=list)
    changed: list[RouteChange] = field(default_factory=list)


def _diff_lines(text: str) -> list[str]:
    """Lines for difflib, marking a missing final newline the way ``diff -u`` does."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        # One element, so difflib prefixes the line but not the marker that follows it.
        lines[-1] += "\n" + _NO_NEWLINE
    return lines


def unified_file_diff(path: str, old: str | None, new: str | None, *, context: int = 3) -> str:
    old_name = f"a/{path}" if old is not None else "/dev/null"
    new_name = f"b/{path}" if new is not None else "/dev/null"
    lines = difflib.unified_diff(
        _diff_lines(old or ""), _diff_lines(new or ""), old_name, new_name, n=context
    )
    return "".join(lines)


def compare_files(
    old: Mapping[str, str], new: Mapping[str, str], *, context: int = 3
) -> list[FileChange]:
    """Every path that differs between ``old`` and ``new``, sorted, with a unified diff."""
    changes: list[FileChange] = []
    for path in sorted(set(old) | set(new)):
        before, after = old.get(path), new.get(path)
        if before == after:
            continue
        if before is None:
            operation = "created"
        elif after is None:
            operation = "deleted"
        else:
            operation = "modified"
        diff = unified_file_diff(path, before, after, context=context)
        changes.append(FileChange(path, operation, diff))
    return changes


def _resolve(node: Any, document: Mapping[str, Any], active: frozenset[str] = frozenset()) -> Any:
    """``node`` with local ``$ref``s inlined; a ref already being expanded (a recursive schema)
    is left as the ref, which keeps the result finite."""
    if isinstance(node, list):
        return [_resolve(item, document, active) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and ref not in active:
        target: Any = document
        for part in ref[2:].split("/"):
            key = part.replace("~1", "/").replace("~0", "~")
            target = target.get(key) if isinstance(target, dict) else None
        if target is not None:
            return _resolve(target, document, active | {ref})
    return {key: _resolve(value, document, active) for key, value in node.items()}


def _operations(document: Mapping[str, Any] | None) -> dict[tuple[str, str], dict[str, Any]]:
    routes: dict[tuple[str, str], dict[str, Any]] = {}
    paths = (document or {}).get("paths")
    if not isinstance(paths, dict):
        return routes
    for route_path, item in paths.items():
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                merged = {"parameters": shared, **operation} if shared else dict(operation)
                routes[(method.upper(), route_path)] = _resolve(merged, document or {})
    return routes


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def changed_routes(
    old_document: Mapping[str, Any] | None, new_document: Mapping[str, Any] | None
) -> RouteChanges:
    """Routes added, removed and changed between two OpenAPI documents, each sorted."""
    before, after = _operations(old_document), _operations(new_document)
    result = RouteChanges()
    for key in sorted(set(before) | set(after), key=lambda k: (k[1], k[0])):
        method, path = key
        if key not in before:
            result.added.append(RouteChange(method, path, "added"))
        elif key not in after:
            result.removed.append(RouteChange(method, path, "removed"))
        else:
            names = sorted(set(before[key]) | set(after[key]))
            differing = tuple(
                name
                for name in names
                if _canonical(before[key].get(name)) != _canonical(after[key].get(name))
            )
            if differing:
                result.changed.append(RouteChange(method, path, "changed", differing))
    return result


def openapi_from_files(files: Mapping[str, str]) -> dict[str, Any] | None:
    """The project's own OpenAPI document, if it ships one as ``openapi.json`` (shortest path
    wins); None when there is none or it is not a JSON object with ``paths``."""
    candidates = sorted(
        (path for path in files if path.rsplit("/", 1)[-1] == "openapi.json"),
        key=lambda p: (p.count("/"), p),
    )
    for path in candidates:
        try:
            document = json.loads(files[path])
        except ValueError:
            continue
        if isinstance(document, dict) and isinstance(document.get("paths"), dict):
            return document
    return None
