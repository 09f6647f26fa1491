"""Previews across hosts: a request for a preview another host runs goes over HTTP to a live
process of that host that advertises ``APIFORGE_INTERNAL_URL`` (its heartbeat row, ``executors``),
which serves it from that host's socket dir as any of its own requests.

The caller's request goes as it came — method, path, query, body streamed, and every header but
the hop-by-hop ones, credentials included — so the other host authenticates the caller and checks
that the project is theirs itself; its answer (already fenced by its own proxy) streams back. A
hop header names the host that forwarded: a request that arrives with it is never forwarded
again (two hosts that disagree about where a preview runs answer 503 instead of looping).
The other host not answering: 503 ``preview_host_unreachable`` when it refuses or does not
accept the connection in time, 502 ``preview_host_no_answer`` when it accepted and then did not
answer; both retryable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import StreamingResponse

from apiforge.errors import ApiforgeError, ServiceUnavailable
from apiforge.sandbox.proxy_headers import HOP_BY_HOP

HOP_HEADER = "x-apiforge-forwarded-from"
CONNECT_TIMEOUT_S = 5.0
# The other host's own server sets these again.
_DROPPED_RESPONSE = HOP_BY_HOP | {"date", "server"}


class PreviewHostUnreachable(ServiceUnavailable):
    """The host running the preview did not accept the connection (down, or not reachable)."""

    code = "preview_host_unreachable"


class PreviewHostNoAnswer(ApiforgeError):
    """The host running the preview accepted the request, then did not answer it."""

    code = "preview_host_no_answer"
    status_code = 502
    retryable = True


class HostForwarder:
    """One HTTP client for the requests this process forwards to other hosts; owned by
    ``SharedPreviews`` and closed with it."""

    def __init__(self, this_host: str, read_timeout_s: float) -> None:
        self.this_host = this_host
        timeout = httpx.Timeout(read_timeout_s, connect=CONNECT_TIMEOUT_S)
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        # None of httpx's own defaults: an Accept-Encoding the caller did not send would bring
        # back a body encoded in a way it may not read (it is relayed raw).
        self._client.headers.clear()

    async def forward(self, base_url: str, host: str, request: Request) -> StreamingResponse:
        outgoing = self._client.build_request(
            request.method,
            _target(base_url, request),
            headers=self._headers(request),
            content=request.stream() if _has_body(request) else None,
        )
        try:
            upstream = await self._client.send(outgoing, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise PreviewHostUnreachable(
                f"The preview runs on host {host}, which did not accept the connection at "
                f"{base_url} ({type(error).__name__}); try again in a moment"
            ) from error
        except httpx.HTTPError as error:
            raise PreviewHostNoAnswer(
                f"The preview runs on host {host}, which did not answer at {base_url} "
                f"({type(error).__name__}); try again in a moment"
            ) from error
        return _stream_back(upstream)

    def _headers(self, request: Request) -> list[tuple[str, str]]:
        kept = [
            (name, value)
            for name, value in request.headers.items()
            if name.lower() not in HOP_BY_HOP and name.lower() not in ("host", HOP_HEADER)
        ]
        return [*kept, (HOP_HEADER, self.this_host)]

    async def aclose(self) -> None:
        await self._client.aclose()


def _target(base_url: str, request: Request) -> str:
    """The same path (as it was sent, still percent-encoded) and query on the other host."""
    raw_path = request.scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else request.url.path
    query = request.url.query
    return base_url.rstrip("/") + path + (f"?{query}" if query else "")


def _has_body(request: Request) -> bool:
    return "content-length" in request.headers or "transfer-encoding" in request.headers


def _stream_back(upstream: httpx.Response) -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        except httpx.HTTPError:
            return  # the other host went away mid-answer; end the response

    response = StreamingResponse(
        chunks(), status_code=upstream.status_code, background=BackgroundTask(upstream.aclose)
    )
    # Raw pairs, so repeated headers stay repeated; content-encoding and -length as sent, since
    # the body is relayed raw.
    response.raw_headers = [
        (name.lower(), value)
        for name, value in upstream.headers.raw
        if name.decode("latin-1").lower() not in _DROPPED_RESPONSE
    ]
    return response
