"""The preview reverse proxy: ``/preview/{project_id}/{path}`` -> that project's app socket.

The upstream is only ever the preview's own Unix socket (the URL host is fixed and the transport
ignores it anyway). The generated app is untrusted and is served on apiforge's origin, so its
responses are fenced: no cookies in either direction, and a CSP ``sandbox`` that gives its pages
an opaque origin (its scripts cannot read apiforge's pages or call its API as the user).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from apiforge.sandbox.preview import PreviewManager, preview_url
from apiforge.sandbox.proxy_headers import request_headers, response_headers

MAX_BODY_BYTES = 10 * 1024 * 1024
FENCE_HEADERS = {
    "content-security-policy": "sandbox allow-scripts allow-forms allow-popups allow-modals",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


class BodyTooLarge(Exception):
    pass


async def _read_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise BodyTooLarge
    return bytes(body)


def _upstream_url(path: str, query: str) -> httpx.URL:
    return httpx.URL(scheme="http", host="app", path="/" + path.lstrip("/"), query=query.encode())


def _response_headers(upstream: httpx.Response, project_id: str) -> list[tuple[str, str]]:
    kept = response_headers(
        upstream.headers.multi_items(),
        prefix=preview_url(project_id),
        request_path=upstream.request.url.path,
        replaced=frozenset(FENCE_HEADERS),
    )
    return kept + list(FENCE_HEADERS.items())


class _Lease:
    """Releases the preview exactly once, whichever of stream end or background runs first."""

    def __init__(self, release: Callable[[], None]) -> None:
        self._release, self._held = release, True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._release()


async def proxy_request(
    manager: PreviewManager, project_id: str, request: Request, path: str
) -> Response:
    """Forward ``request`` to the project's preview run by this process and stream the answer.

    Raises NotFoundError when no preview runs for ``project_id``.
    """
    preview = manager.acquire(project_id)
    client = preview.app.connection.client
    return await forward(client, project_id, request, path, lambda: manager.release(preview))


async def forward(
    client: httpx.AsyncClient,
    project_id: str,
    request: Request,
    path: str,
    release: Callable[[], None],
    *,
    raise_unreachable: bool = False,
) -> Response:
    """Forward ``request`` through ``client`` (bound to a preview's socket); ``release`` runs
    once the answer is sent. ``raise_unreachable``: a socket nobody listens on raises
    httpx.ConnectError (the caller checks whether that preview is gone) instead of a 502."""
    lease = _Lease(release)
    try:
        body = await _read_body(request)
    except BodyTooLarge:
        lease.release()
        return JSONResponse({"detail": "request body too large for the preview"}, 413)
    headers = request_headers(request.headers.items())
    url = _upstream_url(path, request.url.query)
    outgoing = client.build_request(request.method, url, headers=headers, content=body)
    try:
        upstream = await client.send(outgoing, stream=True)
    except httpx.HTTPError as error:
        lease.release()
        if raise_unreachable and isinstance(error, httpx.ConnectError):
            raise
        message = f"the preview app did not answer ({type(error).__name__})"
        return JSONResponse({"detail": message}, status_code=502)
    return _stream_back(upstream, lease, project_id)


def _stream_back(upstream: httpx.Response, lease: _Lease, project_id: str) -> StreamingResponse:
    async def relay() -> None:
        await upstream.aclose()
        lease.release()

    async def chunks() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        except httpx.HTTPError:
            return  # the app went away mid-stream; end the response
        finally:
            lease.release()

    return StreamingResponse(
        chunks(),
        status_code=upstream.status_code,
        headers=dict(_response_headers(upstream, project_id)),
        background=BackgroundTask(relay),
    )
