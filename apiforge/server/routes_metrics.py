"""``GET /metrics``: this app's Prometheus registry in the text exposition format.

Admins only (in local mode everyone is the local admin, behind local mode's own rules); see
docs/security.md for why an admin token rather than a separate metrics secret. Left out of the
OpenAPI document: it is an operator's endpoint, not part of the API clients are generated from
(docs/metrics.md documents it).
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from apiforge.auth.principal import CurrentPrincipal
from apiforge.errors import Forbidden
from apiforge.server.state import Services

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(principal: CurrentPrincipal, services: Services) -> Response:
    if not principal.is_admin:
        raise Forbidden("Only an admin can read the metrics", code="admin_only")
    return Response(services.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
