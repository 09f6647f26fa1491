"""app/main.py (the application), app/auth.py and the package markers."""

from __future__ import annotations

from apiforge.engine.render._text import from_import, join_blocks, quoted
from apiforge.engine.spec import ApiSpec

AUTH_SETTINGS = {
    # feature -> (environment variable, header people send, dependency name)
    "api_key_auth": ("API_KEY", "X-API-Key", "require_api_key"),
    "bearer_auth": ("API_TOKEN", "Authorization", "require_token"),
}

_API_KEY_AUTH = '''"""API key authentication: resource routes need the X-API-Key header."""

import os
import secrets
from typing import Annotated

from fastapi import HTTPException, Security
from fastapi.security import APIKeyHeader

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def expected_key() -> str:
    return os.environ.get("API_KEY", "change-me")


def require_api_key(api_key: Annotated[str | None, Security(api_key_header)]) -> None:
    if api_key is None or not secrets.compare_digest(
        api_key.encode("utf-8"), expected_key().encode("utf-8")
    ):
        raise HTTPException(status_code=401, detail="Missing or invalid API key")
'''

_BEARER_AUTH = '''"""Bearer token authentication: routes need "Authorization: Bearer <token>"."""

import os
import secrets
from typing import Annotated

from fastapi import HTTPException, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

bearer_scheme = HTTPBearer(auto_error=False)


def expected_token() -> str:
    return os.environ.get("API_TOKEN", "change-me")


def require_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> None:
    if credentials is None or not secrets.compare_digest(
        credentials.credentials.encode("utf-8"), expected_token().encode("utf-8")
    ):
        raise HTTPException(
            status_code=401,
            detail="Missing or invalid bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
'''


def render_auth(spec: ApiSpec) -> str | None:
    if spec.auth == "api_key_auth":
        return _API_KEY_AUTH
    if spec.auth == "bearer_auth":
        return _BEARER_AUTH
    return None


def _main_imports(spec: ApiSpec) -> str:
    routers = sorted(resource.name for resource in spec.resources)
    needs_depends = bool(spec.auth) or spec.has("health")
    stdlib = (("os", spec.has("cors")), ("sqlite3", spec.has("health")))
    lines = [f"import {name}" for name, used in stdlib if used]
    lines += [
        "from collections.abc import AsyncIterator",
        "from contextlib import asynccontextmanager",
        *(["from typing import Annotated"] if spec.has("health") else []),
        "",
        "from fastapi import Depends, FastAPI" if needs_depends else "from fastapi import FastAPI",
    ]
    if spec.has("cors"):
        lines.append("from fastapi.middleware.cors import CORSMiddleware")
    lines.append("")
    if spec.auth:
        lines.append(f"from app.auth import {AUTH_SETTINGS[spec.auth][2]}")
    lines.append(f"from app.db import {'get_db, init_db' if spec.has('health') else 'init_db'}")
    lines.append(from_import("app.routers", routers))
    return "\n".join(lines)


_CORS = """app.add_middleware(
    CORSMiddleware,
    allow_origins=os.environ.get("CORS_ORIGINS", "*").split(","),
    allow_methods=["*"],
    allow_headers=["*"],
)"""

_HEALTH = '''@app.get("/health", tags=["health"])
def health(db: Annotated[sqlite3.Connection, Depends(get_db)]) -> dict[str, str]:
    """Liveness and database check; needs no credentials."""
    db.execute("SELECT 1").fetchone()
    return {"status": "ok"}'''


def render_main(spec: ApiSpec) -> str:
    doc = f'"""{spec.title}: the FastAPI application."""'
    lifespan = (
        "@asynccontextmanager\n"
        "async def lifespan(app: FastAPI) -> AsyncIterator[None]:\n"
        "    init_db()\n"
        "    yield"
    )
    app_line = f'app = FastAPI(title={quoted(spec.title)}, version="1.0.0", lifespan=lifespan)'
    if spec.has("cors"):
        app_line += "\n" + _CORS
    routers = ", ".join(f"{resource.name}.router" for resource in spec.resources)
    include = f"for router in ({routers},):\n"
    if spec.auth:
        include += (
            f"    app.include_router(router, dependencies=[Depends({AUTH_SETTINGS[spec.auth][2]})])"
        )
    else:
        include += "    app.include_router(router)"
    blocks = [doc + "\n\n" + _main_imports(spec), lifespan, app_line + "\n\n" + include]
    if spec.has("health"):
        blocks.append(_HEALTH)
    return join_blocks(*blocks)


def render_package_marker(description: str) -> str:
    return f'"""{description}"""\n'
