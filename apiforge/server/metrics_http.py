"""Counts every HTTP request by method, route template and status (pure ASGI: streams are not
buffered, and an SSE response is counted when it ends)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apiforge.metrics import Metrics

# Paths no route takes share one label: a scanner's guesses must not grow the series.
UNMATCHED = "<unmatched>"


def _route_of(scope: Scope) -> str:
    # The router records the matched route in the scope it was given (ours, shared).
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED


def _metrics_of(scope: Scope) -> Metrics | None:
    # None before the lifespan has built the services (and in apps without them).
    services = getattr(scope["app"].state, "services", None)
    metrics = getattr(services, "metrics", None)
    return metrics if isinstance(metrics, Metrics) else None


class RequestMetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets if the app raises before answering

        async def send_recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_recording)
        finally:
            metrics = _metrics_of(scope)
            if metrics is not None:
                metrics.request_answered(scope["method"], _route_of(scope), status)
