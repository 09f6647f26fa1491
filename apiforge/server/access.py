"""Local mode's gate: who may reach a login-free server, decided before any route runs.

In ``local`` mode there is no login, so the browser itself must not be turned against the
server. Two browser attacks matter (see docs/security.md, "Local mode's checks"):

- DNS rebinding: a page at ``http://attacker.example:8000`` whose name later resolves to
  127.0.0.1 is same-origin with the server in the browser's eyes, and may read everything. Its
  requests still carry ``Host: attacker.example:8000``, so only loopback names, the address the
  server was told to bind and ``APIFORGE_ALLOWED_HOSTS`` are served.
- Cross-site request forgery: any page may make the browser send a form POST, a no-cors fetch or
  a WebSocket handshake to 127.0.0.1. Browsers send ``Origin`` on all of these, so a
  state-changing request or WebSocket handshake needs the server's own origin, or no ``Origin``
  at all (a CLI, curl, httpx) without a ``Sec-Fetch-Site`` naming another site.

A plain ASGI middleware, like the principal's: ``BaseHTTPMiddleware`` would buffer streams.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from apiforge.server.errors import ErrorDetail, ErrorResponse, error_response
from apiforge.settings import Settings

# Methods that only read: what browsers let any page send cross-site without asking anyway.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sec-Fetch-Site values a browser sends for a request a page of another origin made.
FOREIGN_FETCH_SITES = frozenset({"cross-site", "same-site"})
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# Addresses meaning "every interface": as a Host header they say nothing about the name used.
WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::"})

HostName = tuple[str, int | None]


class AccessRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_host(value: str) -> HostName | None:
    """``name[:port]`` of a Host header or allow-list entry, the name lowercased without a
    final dot and IPv6 without brackets; None when it is not one."""
    value = value.strip().lower()
    port_text: str | None
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:] if rest else None
    elif ":" in value:
        name, _, port_text = value.rpartition(":")
        if ":" in name:  # an IPv6 address needs its brackets
            return None
    else:
        name, port_text = value, None
    name = name.removesuffix(".")
    if not name or (port_text is not None and not (port_text.isdigit() and len(port_text) <= 5)):
        return None
    return name, int(port_text) if port_text is not None else None


def is_loopback_name(name: str) -> bool:
    """A name or address that always means this machine (RFC 6761 reserves ``.localhost``)."""
    name = name.lower().removesuffix(".").strip("[]")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class HostPolicy:
    """Which Host headers local mode serves."""

    def __init__(self, settings: Settings) -> None:
        entries = list(settings.allowed_hosts)
        if settings.host not in WILDCARD_BINDS:
            entries.append(settings.host if ":" not in settings.host else f"[{settings.host}]")
        self.allowed = {parsed for entry in entries if (parsed := parse_host(entry))}

    def allows(self, host: HostName) -> bool:
        name, port = host
        return is_loopback_name(name) or (name, None) in self.allowed or host in self.allowed


def _origin_of(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        return None
    if parts.username is not None or parts.query or parts.fragment:
        return None
    return parts.scheme, parts.hostname.removesuffix("."), port or DEFAULT_PORTS[parts.scheme]


def own_origin(scope: Scope, host: HostName) -> tuple[str, str, int]:
    """The origin a page of this server has: the request's scheme, and the Host it named."""
    scheme = str(scope["scheme"])
    scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    name, port = host
    return scheme, name, port or DEFAULT_PORTS.get(scheme, 80)


def check_request(scope: Scope, policy: HostPolicy) -> None:
    """Raise :class:`AccessRefused` unless local mode may serve this request or handshake."""
    headers = Headers(scope=scope)
    hosts = headers.getlist("host")
    host = parse_host(hosts[0]) if len(hosts) == 1 else None
    if host is None or not policy.allows(host):
        named = repr(hosts[0][:100]) if len(hosts) == 1 else "none or several"
        raise AccessRefused(
            "host_not_allowed",
            f"This server does not answer to the host name {named}: it serves loopback names "
            "only, and those listed in APIFORGE_ALLOWED_HOSTS",
        )
    if scope["type"] == "http" and scope["method"] in SAFE_METHODS:
        return
    check_origin(scope, headers, host)


def check_origin(scope: Scope, headers: Headers, host: HostName) -> None:
    """Refuse a request a page of another origin made (a write, or a WebSocket handshake)."""
    origin = headers.get("origin")
    foreign = headers.get("sec-fetch-site", "").lower() in FOREIGN_FETCH_SITES
    if foreign or (origin is not None and _origin_of(origin) != own_origin(scope, host)):
        raise AccessRefused(
            "cross_origin_refused",
            "A page of another origin cannot change anything here or open a live stream",
        )


def check_handshake_origin(scope: Scope) -> None:
    """Password and header modes: a WebSocket handshake carries the browser's cookies (or the
    proxy's), so, as in local mode, it must come from the server's own origin; so must a write
    in header mode, which has no CSRF token. The Host is not checked there: any name may reach
    a server run for a team."""
    headers = Headers(scope=scope)
    hosts = headers.getlist("host")
    host = parse_host(hosts[0]) if len(hosts) == 1 else None
    if host is None:
        raise AccessRefused("cross_origin_refused", "This request needs one Host header")
    check_origin(scope, headers, host)


class LocalAccessMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.local = settings.auth == "local"
        # The proxy signs in whatever the browser sends it, a cross-site form's request included
        # (its own cookie, basic auth), and header mode has no CSRF token: writes are checked.
        self.header = settings.auth == "header"
        self.policy = HostPolicy(settings)

    def _checks(self, scope: Scope) -> bool:
        if scope["type"] == "websocket":
            return True
        if scope["type"] != "http":
            return False
        return self.local or (self.header and scope["method"] not in SAFE_METHODS)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine: the checks need no await, and handing back the app's awaitable
        # keeps no frame of this middleware alive for an open stream's whole life.
        if self._checks(scope):
            try:
                if self.local:
                    check_request(scope, self.policy)
                else:
                    check_handshake_origin(scope)
            except AccessRefused as refused:
                if scope["type"] == "http":
                    return error_response(403, refused.code, refused.message)(scope, receive, send)
                return deny_websocket(scope, receive, send, refused)
        return self.app(scope, receive, send)


async def deny_websocket(
    scope: Scope, receive: Receive, send: Send, refused: AccessRefused
) -> None:
    """Refuse the handshake itself: the socket never opens, so a page learns nothing from it."""
    await receive()  # websocket.connect
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008, "reason": refused.code})
        return
    body = ErrorResponse(error=ErrorDetail(code=refused.code, message=refused.message))
    content = body.model_dump_json().encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(content))]
    await send({"type": "websocket.http.response.start", "status": 403, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": content})
