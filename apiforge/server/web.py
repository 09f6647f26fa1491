"""Serves the single-page web UI from apiforge/web/static, plus the one script built here."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from apiforge.store.status import ACTIVE_STATUSES, FINAL_STATUSES, VersionStatus

STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"
STATUSES_SCRIPT = "/static/js/statuses.js"


def statuses_js() -> str:
    """The UI's status vocabulary as an ES module, written from ``VersionStatus`` so the
    browser can never spell a status the server does not have."""
    names = {status.name: status.value for status in VersionStatus}
    # In the enum's order, so the module reads the same on every start.
    active = [s.value for s in VersionStatus if s in ACTIVE_STATUSES]
    final = [s.value for s in VersionStatus if s in FINAL_STATUSES]
    return (
        "// Written by the server from VersionStatus (apiforge/store/status.py).\n"
        f"export const STATUS = Object.freeze({json.dumps(names)});\n"
        f"export const ACTIVE_STATUSES = Object.freeze({json.dumps(active)});\n"
        f"export const FINAL_STATUSES = Object.freeze({json.dumps(final)});\n"
    )


def mount(app: FastAPI) -> None:
    index = STATIC_DIR / "index.html"
    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    script = statuses_js()

    async def page() -> FileResponse:
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    async def statuses() -> Response:
        return Response(script, media_type="text/javascript", headers={"Cache-Control": "no-cache"})

    app.add_api_route("/", page, include_in_schema=False)
    app.add_api_route("/projects/{project_id}", page, include_in_schema=False)
    # Before the mount, which would otherwise answer the path (with a 404).
    app.add_api_route(STATUSES_SCRIPT, statuses, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
