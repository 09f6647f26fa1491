"""CSRF protection of cookie-authenticated writes (password mode).

The browser sends the session cookie with any request to this server, whoever's page made it,
so a write authenticated by the cookie must also carry ``X-CSRF-Token``: a value the login
response and ``GET /api/auth/me`` return, which a page of another origin cannot read. Bearer
tokens are not sent by browsers on their own, so token-authenticated writes need none. One
app-wide dependency, like the write limit, so no route can forget it; it runs only for a matched
route, so unknown paths still get the router's 404/405.
"""

from __future__ import annotations

from fastapi.requests import HTTPConnection

from apiforge.auth.principal import Principal
from apiforge.errors import Forbidden

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Signing in replaces the session: a stale cookie sent along must not block it.
EXEMPT_PATHS = frozenset({"/api/auth/login"})


async def check_csrf(connection: HTTPConnection) -> None:
    scope = connection.scope
    if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
        return
    principal = getattr(connection.state, "principal", None)
    if not isinstance(principal, Principal) or principal.via != "session":
        return
    if connection.url.path in EXEMPT_PATHS:
        return
    secret: str = connection.state.session_secret
    presented = connection.headers.get(CSRF_HEADER, "")
    if not connection.app.state.services.accounts.csrf_matches(secret, presented):
        raise Forbidden(
            f"This change needs the {CSRF_HEADER} header of your session (see GET /api/auth/me)",
            code="csrf_refused",
        )
