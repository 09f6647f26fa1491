"""The whole generated project: path -> content, in streaming order."""

from __future__ import annotations

from apiforge.engine.render.app import render_auth, render_main, render_package_marker
from apiforge.engine.render.db import render_crud, render_db, render_tables
from apiforge.engine.render.readme import render_readme
from apiforge.engine.render.resource_tests import render_resource_tests
from apiforge.engine.render.router import render_router
from apiforge.engine.render.schemas import render_schemas
from apiforge.engine.render.test_support import (
    render_app_tests,
    render_conftest,
    render_factories,
)
from apiforge.engine.spec import SPEC_PATH, ApiSpec

REQUIREMENTS = "fastapi\nuvicorn\npydantic\nhttpx\npytest\n"


def render_project(spec: ApiSpec) -> dict[str, str]:
    """Every file of the project; dict order is the order they stream in."""
    files = {
        "requirements.txt": REQUIREMENTS,
        "app/__init__.py": render_package_marker(f"{spec.title}."),
        "app/main.py": render_main(spec),
        "app/db.py": render_db(spec),
    }
    auth = render_auth(spec)
    if auth is not None:
        files["app/auth.py"] = auth
    files["app/schemas.py"] = render_schemas(spec)
    files["app/crud.py"] = render_crud(spec)
    files["app/tables.py"] = render_tables(spec)
    files["app/routers/__init__.py"] = render_package_marker("One router per resource.")
    for resource in spec.resources:
        files[f"app/routers/{resource.name}.py"] = render_router(spec, resource)
    files["tests/__init__.py"] = render_package_marker("Tests of the API.")
    files["tests/conftest.py"] = render_conftest(spec)
    files["tests/factories.py"] = render_factories(spec)
    files["tests/test_app.py"] = render_app_tests(spec)
    for resource in spec.resources:
        files[f"tests/test_{resource.name}.py"] = render_resource_tests(spec, resource)
    files["README.md"] = render_readme(spec)
    files[SPEC_PATH] = spec.to_json()
    return files
