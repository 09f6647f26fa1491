"""Every error leaves the server as ``{"error": {"code", "message", "retryable"}}`` with a fitting
status, and every route documents the statuses it can answer with that shape."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from apiforge.api_models import ErrorDetail, ErrorResponse
from apiforge.errors import ApiforgeError, RateLimited

__all__ = ["ErrorDetail", "ErrorResponse", "error_response", "error_responses"]


_DESCRIPTIONS = {
    400: "The request body is not valid JSON (`malformed_json`)",
    404: "No such project, version or file (`not_found`)",
    409: "The request conflicts with the project's state (e.g. `generation_running`)",
    403: "Not allowed (`admin_only`; `csrf_refused`: a cookie-signed change without its "
    "X-CSRF-Token; `cross_origin_refused`: a page of another origin)",
    401: "Sign in first: no valid session, token or trusted header (`unauthenticated`)",
    422: "The request is invalid (`invalid_input`, or a more precise code)",
    429: "A per-user limit was reached (`too_many_writes`, `too_many_generations`, "
    "`too_many_versions`); `Retry-After` says when to try again",
    502: "The sandbox could not start the version's app",
    503: "The server cannot do this now (`preview_busy`: retry later; `git_unavailable`; "
    "`server_stopping`; `limits_unavailable`: the shared rate limits' Redis is away, retry later; "
    "`database_unavailable`: the database is unreachable (stopped or restarting), retry later; "
    "`dbos_unavailable`: DBOS's database is, so no generation can start, retry later)",
    504: "The generation did not end within the wait (`generation_timeout`); it goes on: "
    "`version` says which one to follow",
}


def status_description(status: int) -> str:
    return _DESCRIPTIONS[status]


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` entry documenting these error statuses with the error schema."""
    return {s: {"model": ErrorResponse, "description": _DESCRIPTIONS[s]} for s in statuses}


def error_response(
    status: int, code: str, message: str, *, retryable: bool = False, headers: Any = None
) -> JSONResponse:
    body = ErrorResponse(error=ErrorDetail(code=code, message=message, retryable=retryable))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


# Validators of request models that refuse a value with one of apiforge's own error codes raise
# a PydanticCustomError whose type is that code; such codes pass through unchanged.
OWN_CODES = frozenset({"empty_prompt", "control_characters", "invalid_characters"})


def _describe(exc: RequestValidationError) -> tuple[int, str, str]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "malformed_json", "The request body is not valid JSON"
    own = next((e for e in errors if e.get("type") in OWN_CODES), None)
    if own is not None:
        return 422, str(own["type"]), str(own.get("msg", "invalid"))
    parts = []
    for error in errors[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where or 'body'}: {error.get('msg', 'invalid')}")
    return 422, "invalid_input", "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiforgeError)
    async def on_apiforge_error(_request: Request, exc: ApiforgeError) -> JSONResponse:
        headers = None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(exc.retry_after_s)}
        return error_response(
            exc.status_code, exc.code, exc.message, retryable=exc.retryable, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        status, code, message = _describe(exc)
        return error_response(status, code, message)

    @app.exception_handler(HTTPException)
    async def on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request, headers.get("Allow", ""))
        return error_response(exc.status_code, code, str(exc.detail), headers=headers)


def _allowed_methods(request: Request, named: str) -> str:
    """Every method the path takes: RFC 9110 wants them all in a 405's ``Allow``, and the router
    names only those of the first route whose path matched. The document knows them all."""
    methods = {m.strip() for m in named.split(",") if m.strip()}
    for template, operations in request.app.openapi()["paths"].items():
        if compile_path(template)[0].match(request.url.path):
            methods |= {method.upper() for method in operations}
    return ", ".join(sorted(methods))
