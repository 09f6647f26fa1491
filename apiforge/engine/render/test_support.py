"""tests/conftest.py, tests/factories.py and tests/test_app.py of a generated project."""

from __future__ import annotations

from typing import Any

from apiforge.engine.render._text import join_blocks, py
from apiforge.engine.spec import ApiSpec, FieldSpec, ResourceSpec
from apiforge.engine.words import human

SECRET = "test-secret"
_CREDENTIALS = {
    None: "{}",
    "api_key_auth": '{"X-API-Key": SECRET}',
    "bearer_auth": '{"Authorization": f"Bearer {SECRET}"}',
}
_SECRET_ENV = {"api_key_auth": "API_KEY", "bearer_auth": "API_TOKEN"}


def sample(field: FieldSpec, index: int) -> Any:
    """The index-th (0 or 1) sample value of a field, distinct per field for text."""
    if field.type == "enum":
        return field.choices[index % len(field.choices)]
    value = field.kind.samples[index]
    if field.minimum is not None or field.maximum is not None:
        return _bounded_sample(field, index)
    if field.type == "text":
        return f"{value} {human(field.name)}"
    return value


def _bounded_sample(field: FieldSpec, index: int) -> int:
    """A value inside the field's bounds; the two samples differ when the range allows."""
    low = field.minimum if field.minimum is not None else (field.maximum or 0) - 10
    high = field.maximum if field.maximum is not None else low + 10
    return min(low + index, high)


def payload_name(resource: ResourceSpec, index: int) -> str:
    return ("", "OTHER_")[index] + resource.singular.upper()


def _payload(resource: ResourceSpec, index: int) -> str:
    items = [f'    "{f.name}": {py(sample(f, index))},' for f in resource.fields]
    return "\n".join([f"{payload_name(resource, index)} = {{", *items, "}"])


def _factory(spec: ApiSpec, resource: ResourceSpec) -> str:
    lines = [
        f"def create_{resource.singular}(client, **changes):",
        f"    payload = {{**{payload_name(resource, 0)}, **changes}}",
    ]
    for relation in resource.relations:
        parent = spec.resource(relation.target)
        if relation.required and parent is not None:
            lines += [
                f'    if "{relation.field}" not in payload:',
                f'        payload["{relation.field}"] = create_{parent.singular}(client)["id"]',
            ]
    lines += [
        f'    response = client.post("/{resource.name}", json=payload)',
        "    assert response.status_code == 201, response.text",
        "    return response.json()",
    ]
    return "\n".join(lines)


def render_factories(spec: ApiSpec) -> str:
    doc = '"""Sample payloads, and helpers that create rows through the API."""'
    listed = "def listed(response):\n    assert response.status_code == 200, response.text\n"
    listed += (
        '    return response.json()["items"]'
        if spec.has("pagination")
        else ("    return response.json()")
    )
    blocks = [doc, listed]
    for resource in spec.resources:
        blocks += [_payload(resource, 0) + "\n" + _payload(resource, 1)]
        blocks.append(_factory(spec, resource))
    return join_blocks(*blocks)


def render_conftest(spec: ApiSpec) -> str:
    env = _SECRET_ENV.get(spec.auth or "")
    secret_line = f'    monkeypatch.setenv("{env}", SECRET)\n' if env else ""
    return join_blocks(
        '"""Every test gets the app on a fresh SQLite file in a temporary directory."""\n\n'
        "import pytest\nfrom fastapi.testclient import TestClient\n\nfrom app.main import app\n\n"
        f'SECRET = "{SECRET}"\nCREDENTIALS = {_CREDENTIALS[spec.auth]}',
        "@pytest.fixture\n"
        "def client(tmp_path, monkeypatch):\n"
        '    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "test.sqlite3"))\n'
        f"{secret_line}"
        "    with TestClient(app, headers=CREDENTIALS) as test_client:\n"
        "        yield test_client",
    )


def _auth_tests(spec: ApiSpec) -> list[str]:
    path = f"/{spec.resources[0].name}"
    header = "X-API-Key" if spec.auth == "api_key_auth" else "Authorization"
    wrong = "wrong" if spec.auth == "api_key_auth" else "Bearer wrong"
    return [
        "def test_requests_without_credentials_are_rejected(client):\n"
        f'    assert TestClient(app).get("{path}").status_code == 401',
        "def test_requests_with_wrong_credentials_are_rejected(client):\n"
        f'    response = client.get("{path}", headers={{"{header}": "{wrong}"}})\n'
        "    assert response.status_code == 401",
    ]


def render_app_tests(spec: ApiSpec) -> str:
    header = '"""Tests of the application as a whole."""\n\n'
    header += "from fastapi.testclient import TestClient\n\nfrom app.main import app"
    tests = [
        "def test_openapi_schema_lists_every_resource(client):\n"
        '    paths = client.get("/openapi.json").json()["paths"]\n'
        + "\n".join(f'    assert "/{r.name}" in paths' for r in spec.resources)
    ]
    if spec.auth:
        tests += _auth_tests(spec)
    if spec.has("health"):
        tests.append(
            "def test_health_needs_no_credentials(client):\n"
            '    response = TestClient(app).get("/health")\n'
            "    assert response.status_code == 200\n"
            '    assert response.json() == {"status": "ok"}'
        )
    if spec.has("cors"):
        tests.append(
            "def test_cors_allows_browser_origins(client):\n"
            f'    response = client.get("/{spec.resources[0].name}", '
            'headers={"Origin": "https://example.com"})\n'
            '    assert response.headers["access-control-allow-origin"] == "*"'
        )
    if "TestClient(app)" not in "".join(tests):
        header = '"""Tests of the application as a whole."""'
    return join_blocks(header, *tests)
