"""The live preview: /preview/{project_id}/… is proxied to that project's sandboxed app."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from apiforge.errors import NotFoundError
from apiforge.sandbox.proxy import proxy_request
from apiforge.server.state import Services

router = APIRouter()
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@router.api_route("/preview/{project_id}/{path:path}", methods=METHODS, include_in_schema=False)
async def preview(project_id: str, path: str, request: Request, services: Services) -> Response:
    if services.previews is None:
        raise NotFoundError("Previews are off: versions are not run in a sandbox on this server")
    return await proxy_request(services.previews, project_id, request, path)
