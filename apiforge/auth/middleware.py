"""Resolves the principal of every HTTP request and WebSocket before routing.

A plain ASGI middleware (not ``BaseHTTPMiddleware``) so streaming responses are not buffered.
Local mode: every request acts as :data:`LOCAL_PRINCIPAL`. Password and header modes are
resolved by ``apiforge.auth`` modules added alongside (sessions, tokens, trusted header).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from apiforge.auth.principal import LOCAL_PRINCIPAL
from apiforge.settings import Settings


class PrincipalMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.settings.auth == "local":
            scope.setdefault("state", {})["principal"] = LOCAL_PRINCIPAL
        await self.app(scope, receive, send)
