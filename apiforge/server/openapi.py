"""The OpenAPI document, completed with what only the running settings know."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from apiforge.auth.principal import http_principal
from apiforge.server.errors import status_description
from apiforge.server.inputs import PROMPT_LIMIT_MARK
from apiforge.server.rate_limits import is_write
from apiforge.settings import Settings


def _set_prompt_limits(node: Any, limit: int) -> None:
    if isinstance(node, dict):
        if node.pop(PROMPT_LIMIT_MARK, None):
            node["maxLength"] = limit
        for value in node.values():
            _set_prompt_limits(value, limit)
    elif isinstance(node, list):
        for value in node:
            _set_prompt_limits(value, limit)


# Error answers that add to the error shape (they subclass ErrorResponse): kept as declared.
EXTENDED_ERRORS = frozenset({"#/components/schemas/GenerationStillRunning"})


def _use_own_error_schema(schema: dict[str, Any]) -> None:
    """Errors are JSON in the error shape (errors.ErrorResponse) on every route, also where
    FastAPI documents its own 422 body or gives an error the media type of the route's 200."""
    own = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                declared = response.get("content", {}).get("application/json", {})
                if int(status) >= 400 and declared.get("schema", {}).get("$ref") not in (
                    EXTENDED_ERRORS
                ):
                    response["content"] = own
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


def _needs_principal(dependant: Dependant) -> bool:
    return any(d.call is http_principal or _needs_principal(d) for d in dependant.dependencies)


def _document_access_errors(schema: dict[str, Any], routes: list[BaseRoute]) -> None:
    """A route that needs a principal can answer 401, a write can answer 429: documented from
    the routes' dependencies and methods themselves, so the document cannot miss one."""
    for route in iter_route_contexts(routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        operations = schema["paths"].get(route.path_format, {})
        for method in route.methods or ():
            responses = operations.get(method.lower(), {}).get("responses")
            if responses is None:
                continue
            # Each operation reads the app database (its rows, or the caller's account in
            # password and header mode): away, it answers 503 `database_unavailable`.
            responses.setdefault("503", {"description": status_description(503)})
            if _needs_principal(route.dependant):
                responses.setdefault("401", {"description": status_description(401)})
            if is_write(method, route.path_format or ""):
                responses.setdefault("429", {"description": status_description(429)})
                responses.setdefault("403", {"description": status_description(403)})


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Serve a document whose prompts say ``maxLength: APIFORGE_MAX_PROMPT_CHARS``."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            _set_prompt_limits(schema, settings.max_prompt_chars)
            _document_access_errors(schema, app.routes)
            _use_own_error_schema(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
