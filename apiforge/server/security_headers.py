"""The browser security headers on every response of apiforge's own.

The UI is static files and module scripts from /static, with no inline script or style
attribute, so its policy names only ``'self'``: an injected ``<script>`` or a markup-borne
``style=`` does nothing. ``data:`` images are for the empty favicon. Nothing may frame the UI.
FastAPI's API explorer (/api/docs) is the one page built otherwise: Swagger UI from its CDN,
started by an inline script, so that page alone allows those.

Responses under /preview/ are the generated app's, relayed by the proxy: what they may run is
the proxy's decision (apiforge/sandbox/proxy.py), so the UI's policy is not forced on them; the
other headers are set only where the proxy did not.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_LOCKED_DOWN = (
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY = "; ".join(
    ("default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:")
    + _LOCKED_DOWN
)
SWAGGER_CDN = "https://cdn.jsdelivr.net"
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        f"script-src 'self' 'unsafe-inline' {SWAGGER_CDN}",
        f"style-src 'self' 'unsafe-inline' {SWAGGER_CDN}",
        "img-src 'self' data: https:",
    )
    + _LOCKED_DOWN
)
BASELINE_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
PREVIEW_PREFIX = "/preview/"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, docs_paths: frozenset[str]) -> None:
        self.app = app
        self.docs_paths = docs_paths

    def policy_for(self, path: str) -> str | None:
        if path.startswith(PREVIEW_PREFIX):
            return None
        return DOCS_CONTENT_SECURITY_POLICY if path in self.docs_paths else CONTENT_SECURITY_POLICY

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.policy_for(str(scope.get("path", "")))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in BASELINE_HEADERS.items():
                    headers.setdefault(name, value)
                if policy is not None:
                    headers["Content-Security-Policy"] = policy
            await send(message)

        await self.app(scope, receive, send_with_headers)
