"""Resolves the principal of every HTTP request and WebSocket before routing.

A plain ASGI middleware (not ``BaseHTTPMiddleware``) so streaming responses are not buffered.
It only says who is asking, never refuses: a request without a principal reaches routing, so a
path or method that matches no route still gets the router's 404/405, and a route that needs a
principal answers 401 through its ``CurrentPrincipal`` dependency (deny by default:
``tests/core/test_core_auth_gate.py`` fails on an API route that neither needs one nor is
listed as public).

- local: every request acts as :data:`LOCAL_PRINCIPAL`.
- password: ``Authorization: Bearer <token>``, else the ``apiforge_session`` cookie (whose
  secret is kept on the scope's state for CSRF checks and logout).
- header: the ``APIFORGE_AUTH_HEADER`` header, only from an ``APIFORGE_TRUSTED_PROXIES``
  address; anyone else could send it. The address checked is the connection's own peer
  (:data:`PEER_KEY`, kept by ``server/runner.py``), not the ``client`` that uvicorn's proxy
  headers handling rewrites from ``X-Forwarded-For``: that is the end user's address, never the
  proxy's, and a client could claim any.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from apiforge.api_models_auth import USERNAME_RULE, is_valid_username
from apiforge.auth.principal import LOCAL_PRINCIPAL, REFUSAL_KEY, Principal
from apiforge.auth.service import Accounts
from apiforge.auth.stream_guard import CREDENTIAL_KEY, Credential
from apiforge.errors import AuthenticationRequired, DatabaseUnavailable
from apiforge.server.errors import error_response
from apiforge.settings import Settings

SESSION_COOKIE = "apiforge_session"
SESSION_SECRET_KEY = "session_secret"
# Scope key of the socket's peer address, set before X-Forwarded-For may replace ``client``.
PEER_KEY = "apiforge.peer"
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(settings: Settings) -> list[IpNetwork]:
    return [ipaddress.ip_network(entry, strict=False) for entry in settings.trusted_proxies]


def _peer(scope: Scope) -> tuple[str, int] | None:
    # Without the runner (an app served some other way) ``client`` is all there is.
    peer: tuple[str, int] | None = scope[PEER_KEY] if PEER_KEY in scope else scope.get("client")
    return peer


def _is_trusted(peer: tuple[str, int] | None, networks: list[IpNetwork]) -> bool:
    if peer is None:
        return False
    try:
        address = ipaddress.ip_address(peer[0])
    except ValueError:
        return False
    return any(address in network for network in networks)


async def _refuse(scope: Scope, receive: Receive, send: Send, error: DatabaseUnavailable) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1013, "reason": error.code})
        return
    response = error_response(error.status_code, error.code, error.message, retryable=True)
    await response(scope, receive, send)


class PrincipalMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.proxies = trusted_networks(settings)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] not in ("http", "websocket"):
            return self.app(scope, receive, send)
        state = scope.setdefault("state", {})
        if self.settings.auth == "local":
            # Not awaited here: handing back the app's awaitable keeps no frame of this
            # middleware alive for an open stream's whole life.
            state["principal"] = LOCAL_PRINCIPAL
            return self.app(scope, receive, send)
        return self._resolve_then_call(scope, receive, send, state)

    async def _resolve_then_call(
        self, scope: Scope, receive: Receive, send: Send, state: dict[str, object]
    ) -> None:
        try:
            principal = await self._resolve(scope, state)
        except DatabaseUnavailable as error:
            # Outside the routes, so their error handlers do not see it: answered here,
            # as any route answers it (a WebSocket closes "try again later").
            await _refuse(scope, receive, send, error)
            return
        if principal is not None:
            state["principal"] = principal
        await self.app(scope, receive, send)

    async def _resolve(self, scope: Scope, state: dict[str, object]) -> Principal | None:
        accounts: Accounts = scope["app"].state.services.accounts
        headers = Headers(scope=scope)
        if self.settings.auth == "header":
            name = headers.get(self.settings.auth_header, "").strip()
            if not name or not _is_trusted(_peer(scope), self.proxies):
                return None
            if not is_valid_username(name):
                # The proxy's name follows the rule of every other user's, or nobody is made:
                # a route needing a principal answers 401 with this reason.
                state[REFUSAL_KEY] = AuthenticationRequired(
                    f"The {self.settings.auth_header} header sent by the proxy is not a valid "
                    f"user name ({USERNAME_RULE})",
                    code="bad_user_header",
                )
                return None
            state[CREDENTIAL_KEY] = Credential("header", name)
            return await accounts.by_header(name)
        scheme, _, credential = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credential.strip():
            # Kept (as the session's below) for the stream guard, which re-checks it while a
            # stream is open (auth/stream_guard.py).
            state[CREDENTIAL_KEY] = Credential("token", credential.strip())
            return await accounts.by_token(credential.strip())
        secret = cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE)
        if not secret:
            return None
        principal = await accounts.by_session(secret)
        if principal is not None:
            state[SESSION_SECRET_KEY] = secret
            state[CREDENTIAL_KEY] = Credential("session", secret)
        return principal
