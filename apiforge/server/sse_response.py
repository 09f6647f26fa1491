"""The SSE response: streams until the feed ends, the client goes, or its credential is revoked.

Held by every open stream, idle ones included, so it is kept light (issue #16: ≤ 35 KB per
connection). Starlette's ``StreamingResponse`` notices a gone client by running the body in a
second task of an anyio task group (a task handle, an event, two cancel scopes, wrappers and
their frames), and a revocation took one more task. Here the body runs in the request's own
task inside one stdlib ``asyncio.timeout`` scope, which is cut short, from callbacks, by
uvicorn's ``http.disconnect`` (read by one bare listener task) or by the stream guard.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from functools import partial

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from apiforge.auth.stream_guard import Credential, StreamGuard

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"}
# Encoded once: each response copies the list (a middleware may extend it), not the pairs.
_RAW_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    *(
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in SSE_HEADERS.items()
    ),
]


class EventStreamResponse(StreamingResponse):
    """Ends when ``content`` does; when the client disconnects; and, cleanly (the last chunk is
    sent), once ``watched``'s credential stops signing in its user: EventSource then reconnects
    and gets 401."""

    media_type = "text/event-stream"

    def __init__(
        self,
        content: AsyncIterator[bytes],
        *,
        guard: StreamGuard,
        watched: tuple[Credential | None, str],
    ) -> None:
        self.body_iterator = content
        self.status_code = 200
        self.background = None
        self.raw_headers = list(_RAW_HEADERS)
        self._guard, self._watched = guard, watched
        self._revoked = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ending = asyncio.timeout(None)  # a cancel scope, cut short by the callbacks below
        listener = asyncio.ensure_future(_until_disconnect(receive))
        listener.add_done_callback(lambda _: _cut(ending))
        try:
            with self._guard.watch(*self._watched, on_revoked=partial(self._revoke, ending)):
                async with ending:
                    await self.stream_response(send)
        except TimeoutError:
            if not ending.expired():  # not ours: the body's own
                raise
        finally:
            listener.cancel()
        if self._revoked:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        if self.background is not None:  # FastAPI hands every response its BackgroundTasks
            await self.background()

    def _revoke(self, ending: asyncio.Timeout) -> None:
        self._revoked = True
        _cut(ending)


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _cut(ending: asyncio.Timeout) -> None:
    """End the stream at the next loop turn (its task is cancelled, as by a timeout)."""
    with contextlib.suppress(RuntimeError):  # over already (ended, or cut by the other cause)
        ending.reschedule(asyncio.get_running_loop().time())
