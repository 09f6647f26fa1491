"""Running the app under uvicorn: say where it serves once it answers, and stop promptly.

Live streams never end on their own, and uvicorn's graceful shutdown waits for every open
connection. So the moment uvicorn starts shutting down (SIGTERM, Ctrl-C, or the embedded CLI
leaving), the event bus is closed first: every SSE feed then ends its response cleanly and every
WebSocket is closed with 1012 (service restart); clients reconnect and resume by Last-Event-ID.
``timeout_graceful_shutdown`` bounds whatever else is still open (a request stuck on a slow
client), so the lifespan's shutdown — which flushes the event log — always runs.

Proxy headers: uvicorn's handling of ``X-Forwarded-For``/``-Proto`` (from the addresses in
``FORWARDED_ALLOW_IPS``, loopback by default) stays, so https behind a TLS proxy is seen and
logs name the end user; but the connection's own peer is kept first (``auth.middleware.PEER_KEY``)
because header mode must check that the request came from a trusted proxy, not from whom the
proxy says it is relaying.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.config import LOGGING_CONFIG
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from apiforge.auth.middleware import PEER_KEY
from apiforge.server.state import AppServices

# Seconds uvicorn waits for connections left open after the streams were closed, before it
# cancels them; well inside the 5 s a service manager is promised.
GRACEFUL_SHUTDOWN_S = 2


class ApiforgeServer(uvicorn.Server):
    def __init__(
        self,
        app: FastAPI,
        config: uvicorn.Config,
        *,
        on_started: Callable[[str], None] | None = None,
        handle_signals: bool = True,
    ) -> None:
        super().__init__(config)
        self._app = app
        self._on_started = on_started
        self._handle_signals = handle_signals
        self.url = ""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            # Only now does the socket listen: the address is announced when it answers.
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            self.url = f"http://{_url_host(host)}:{port}"
            if self._on_started is not None:
                self._on_started(self.url)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        services: AppServices | None = getattr(self._app.state, "services", None)
        if services is not None:
            services.bus.close()
        await super().shutdown(sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Embedded in the CLI, the command handles SIGINT/SIGTERM itself (it stops its own
        # generation first) and then leaves this server's context, which stops it.
        if not self._handle_signals:
            yield
            return
        with super().capture_signals():
            yield


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class _KeepPeer:
    """Records the socket's peer in the scope before the proxy headers are applied."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope[PEER_KEY] = scope.get("client")
        await self.app(scope, receive, send)


def server_config(
    app: FastAPI, host: str, port: int, log_level: str, *, own_logging: bool = True
) -> uvicorn.Config:
    """``own_logging=False``: the caller has configured logging (apiforge.logs) already."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=LOGGING_CONFIG if own_logging else None,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        # Applied below, inside _KeepPeer, with the addresses uvicorn would trust.
        proxy_headers=False,
    )
    # uvicorn types ASGI apps with its own TypedDicts, starlette with plain mappings: the same
    # protocol, spelled differently.
    forwarded = ProxyHeadersMiddleware(app, trusted_hosts=config.forwarded_allow_ips)  # type: ignore[arg-type]
    config.app = _KeepPeer(forwarded)  # type: ignore[arg-type]
    return config
