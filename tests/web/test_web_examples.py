"""Try it's pre-filled values (apiforge/web/static/js/examples.js, run under node): they satisfy
the schema they are made for, so a request sent unchanged is accepted.

The last test takes the example bodies of a generated bookstore app's own OpenAPI document and
posts them, unchanged, to that app (in a subprocess, through FastAPI's TestClient).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from apiforge.engine import generate
from tests.web.page_js import STATIC_JS, needs_node, run_module

EXAMPLES_JS = STATIC_JS / "examples.js"
BOOKSTORE = (
    "A bookstore API with authors (name, email, website), books (title, isbn, published date, "
    "price, genre (fiction, poetry)) and reviews (rating, comment). Each book belongs to an "
    "author. Each review belongs to a book."
)
# Reads {"spec": ..., "schemas": [...]} on stdin, prints the example of each schema.
RUN_EXAMPLES = """
import { exampleFor } from %s;
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { spec, schemas } = JSON.parse(input);
console.log(JSON.stringify(schemas.map(([schema, name]) => exampleFor(spec, schema, name))));
"""
POST_BODIES = """
import json, sys
from fastapi.testclient import TestClient
from app.main import app
statuses = []
with TestClient(app) as client:
    for path, body in json.load(sys.stdin):
        response = client.post(path, json=body)
        statuses.append([path, response.status_code, response.text])
print(json.dumps(statuses))
"""

pytestmark = needs_node


def examples(schemas: list[tuple[dict[str, Any], str]], spec: dict[str, Any] | None = None) -> Any:
    script = RUN_EXAMPLES % json.dumps(EXAMPLES_JS.as_uri())
    return run_module(script, {"spec": spec or {}, "schemas": schemas})


def example(schema: dict[str, Any], name: str = "") -> Any:
    return examples([(schema, name)])[0]


EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


@pytest.mark.parametrize(
    ("schema", "name", "wanted"),
    [
        (
            {"type": "string", "pattern": EMAIL_PATTERN, "maxLength": 254},
            "email",
            "user@example.com",
        ),
        # No name to go by: the pattern alone picks the email among the known values.
        ({"type": "string", "pattern": EMAIL_PATTERN}, "contact", "user@example.com"),
        (
            {"type": "string", "pattern": r"^https?://[^\s/]+\S*$"},
            "website",
            "https://example.com/",
        ),
        ({"type": "string", "format": "email"}, "", "user@example.com"),
        ({"type": "string", "format": "date"}, "", "2024-01-15"),
        ({"type": "string", "format": "date-time"}, "", "2024-01-15T10:00:00Z"),
        ({"type": "string", "pattern": "^[A-Z]{3}$"}, "code", "ABC"),
        ({"type": "string", "minLength": 10}, "title", "stringxxxx"),
        ({"type": "string", "maxLength": 3}, "title", "str"),
        ({"type": "integer", "minimum": 1}, "author_id", 1),
        ({"type": "integer", "minimum": 5, "maximum": 9}, "", 5),
        ({"type": "integer", "exclusiveMinimum": 1}, "", 2),
        ({"type": "integer", "minimum": 1, "exclusiveMinimum": True}, "", 2),  # OpenAPI 3.0
        ({"type": "integer", "maximum": 0}, "", 0),
        ({"type": "integer", "minimum": 1, "multipleOf": 5}, "", 5),
        ({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}, "", 0.5),
        ({"type": "number", "minimum": 10}, "", 10),
        ({"type": "string", "enum": ["fiction", "poetry"]}, "", "fiction"),
        ({"type": "string", "pattern": EMAIL_PATTERN, "example": "ann@x.org"}, "", "ann@x.org"),
        ({"type": "integer", "examples": [42]}, "", 42),
        ({"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}, "", None),
        ({"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 3}]}, "", 3),
        (
            {"type": "array", "items": {"type": "string", "format": "uuid"}, "minItems": 2},
            "",
            ["3fa85f64-5717-4562-b3fc-2c963f66afa6"] * 2,
        ),
    ],
)
def test_an_example_satisfies_its_schema(schema: dict[str, Any], name: str, wanted: Any) -> None:
    assert example(schema, name) == wanted


def test_an_object_leaves_out_what_the_server_assigns() -> None:
    spec = {
        "components": {
            "schemas": {
                "Base": {"properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
                "Book": {
                    "allOf": [{"$ref": "#/components/schemas/Base"}],
                    "properties": {
                        "created": {"type": "string", "format": "date", "readOnly": True},
                        "author_id": {"type": "integer", "minimum": 1},
                    },
                },
            }
        }
    }
    [body] = examples([({"$ref": "#/components/schemas/Book"}, "")], spec)
    assert body == {"name": "string", "author_id": 1}


@pytest.mark.slow
def test_the_bookstore_accepts_its_own_example_bodies(tmp_path: Path) -> None:
    for path, content in generate(BOOKSTORE, {}).files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(content)
    env = {"DATABASE_PATH": str(tmp_path / "data.sqlite3"), "PYTHONPATH": str(tmp_path)}
    document = _in_app(
        tmp_path, env, "import json; from app.main import app; print(json.dumps(app.openapi()))", ""
    )
    spec = json.loads(document)
    # Parents first: a book names author 1, a review book 1.
    paths = ["/authors", "/books", "/reviews"]
    schemas = [
        (spec["paths"][p]["post"]["requestBody"]["content"]["application/json"]["schema"], "")
        for p in paths
    ]
    bodies = examples(schemas, spec)
    answers = json.loads(
        _in_app(tmp_path, env, POST_BODIES, json.dumps(list(zip(paths, bodies, strict=True))))
    )
    assert [(path, status) for path, status, _ in answers] == [(p, 201) for p in paths], answers


def _in_app(directory: Path, env: dict[str, str], code: str, stdin: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=directory,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
