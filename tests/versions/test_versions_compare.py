from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from apiforge.errors import NotFoundError
from apiforge.versions.cache import VersionCache
from apiforge.versions.compare import changed_routes, compare_files, openapi_from_files
from apiforge.versions.lineage import diff_versions

from .versions_support import HistoryDb, write_history

OLD = {
    "app/main.py": "a\nb\nc\n",
    "gone.py": "bye\n",
    "same.py": "same\n",
    "tail.txt": "no newline",
}
NEW = {
    "app/main.py": "a\nB\nc\nd\n",
    "new.py": "hello\n",
    "same.py": "same\n",
    "tail.txt": "no newline\n",
}


def test_compare_reports_each_changed_file() -> None:
    changes = {change.path: change for change in compare_files(OLD, NEW)}
    assert {p: c.operation for p, c in changes.items()} == {
        "app/main.py": "modified",
        "gone.py": "deleted",
        "new.py": "created",
        "tail.txt": "modified",
    }
    assert "-b\n+B\n" in changes["app/main.py"].unified_diff
    assert "\\ No newline at end of file" in changes["tail.txt"].unified_diff


def test_unified_diffs_apply_with_patch(tmp_path: Path) -> None:
    for path, text in OLD.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    patch = "".join(change.unified_diff for change in compare_files(OLD, NEW))
    subprocess.run(["patch", "-p1", "-s"], input=patch.encode(), cwd=tmp_path, check=True)
    result = {
        str(p.relative_to(tmp_path)): p.read_text() for p in tmp_path.rglob("*") if p.is_file()
    }
    assert result == NEW


def _doc(paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"openapi": "3.1.0", "paths": paths, "components": {"schemas": schemas or {}}}


ITEM_REF = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}}
ITEM = {"type": "object", "properties": {"name": {"type": "string"}}}
TREE = {"type": "object", "properties": {"children": {"items": {"$ref": "#/components/schemas/T"}}}}


def test_changed_routes_added_removed_and_changed_through_refs() -> None:
    old = _doc(
        {
            "/items": {"get": {"responses": {"200": ITEM_REF}}, "post": {"responses": {}}},
            "/old": {"get": {"responses": {}}},
            "/tree": {"get": {"responses": {"200": {"$ref": "#/components/schemas/T"}}}},
        },
        {"Item": ITEM, "T": TREE},
    )
    changed_item = {"type": "object", "properties": {"name": {"type": "integer"}}}
    new = _doc(
        {
            "/items": {"get": {"responses": {"200": ITEM_REF}}, "post": {"responses": {}}},
            "/new": {"delete": {"responses": {}}},
            "/tree": {"get": {"responses": {"200": {"$ref": "#/components/schemas/T"}}}},
        },
        {"Item": changed_item, "T": TREE},
    )
    routes = changed_routes(old, new)
    assert [(r.method, r.path) for r in routes.added] == [("DELETE", "/new")]
    assert [(r.method, r.path) for r in routes.removed] == [("GET", "/old")]
    assert [(r.method, r.path, r.fields) for r in routes.changed] == [
        ("GET", "/items", ("responses",))
    ]


def test_openapi_document_is_found_in_files() -> None:
    doc = _doc({"/a": {"get": {}}})
    assert openapi_from_files({"x/openapi.json": json.dumps(doc), "openapi.json": "{"}) == doc
    assert openapi_from_files({"main.py": ""}) is None


async def test_diff_versions_defaults_to_the_previous_version(history_db: HistoryDb) -> None:
    v1 = {"openapi.json": json.dumps(_doc({"/a": {"get": {}}})), "main.py": "x\n"}
    v3 = {"openapi.json": json.dumps(_doc({"/a": {"get": {}}, "/b": {"post": {}}})), **OLD}
    await history_db.add_project("p")
    await write_history(history_db, "p", [("complete", v1), ("failed", v1), ("complete", v3)])
    cache = VersionCache(1 << 20)
    async with history_db.transaction() as session:
        result = await diff_versions(session, project_id="p", version_number=3, cache=cache)
        first = await diff_versions(session, project_id="p", version_number=1, cache=cache)
        explicit = await diff_versions(session, project_id="p", version_number=1, against=3)
        with pytest.raises(NotFoundError):
            await diff_versions(session, project_id="p", version_number=1, against=9)
    assert result.against == 2
    assert {c.path for c in result.files} == {"openapi.json", "main.py", *OLD}
    assert result.routes is not None
    assert [(r.method, r.path) for r in result.routes.added] == [("POST", "/b")]
    assert first.against is None and first.routes is None
    assert {c.operation for c in first.files} == {"created"}
    assert explicit.against == 3 and explicit.routes is not None
    assert [(r.method, r.path) for r in explicit.routes.removed] == [("POST", "/b")]
