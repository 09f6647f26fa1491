"""Serves the single-page web UI from apiforge/web/static."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"


def mount(app: FastAPI) -> None:
    index = STATIC_DIR / "index.html"
    STATIC_DIR.mkdir(parents=True, exist_ok=True)

    async def page() -> FileResponse:
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    app.add_api_route("/", page, include_in_schema=False)
    app.add_api_route("/projects/{project_id}", page, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
