"""Live events: Server-Sent Events and a WebSocket carrying the same events as JSON frames."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse

from apiforge.api_models import Version
from apiforge.auth.principal import CurrentPrincipal, WsPrincipal
from apiforge.auth.stream_guard import credential_of
from apiforge.errors import ApiforgeError, InputError
from apiforge.events.bus import Envelope
from apiforge.events.feed import DELETED, project_feed
from apiforge.events.types import Snapshot
from apiforge.server.errors import error_responses
from apiforge.server.inputs import (
    EVENT_ID_PATTERN,
    check_prompt_length,
    parse_event_id,
    prompt_problem,
)
from apiforge.server.ownership import OwnedProjectId
from apiforge.server.snapshots import build_snapshot
from apiforge.server.sse_response import EventStreamResponse
from apiforge.server.state import AppServices, Services, ws_services
from apiforge.store import repository as repo

router = APIRouter(prefix="/api")

# Tells EventSource how soon to reconnect after a drop.
RETRY_FRAME = b"retry: 1000\n\n"


def _parse_last_id(header: str | None, query: str | None) -> int | None:
    # Both are checked: a malformed one is refused even when the other would be used.
    from_header, from_query = parse_event_id(header), parse_event_id(query)
    return from_header if from_header is not None else from_query


def feed_of(
    services: AppServices, project_id: str, last_id: int | None
) -> AsyncIterator[list[Envelope]]:
    async def snapshot(pid: str) -> Snapshot:
        return await build_snapshot(services, pid)

    return project_feed(
        log=services.log,
        bus=services.bus,
        project_id=project_id,
        last_event_id=last_id,
        heartbeat_s=services.settings.ping_interval_s,
        build_snapshot=snapshot,
    )


async def _require_owned_project(services: AppServices, project_id: str, owner_id: str) -> None:
    async with services.db.read() as session:
        await repo.get_owned_project(session, project_id, owner_id=owner_id)


# WebSocket close code when the stream's session, token or user was ended (RFC 6455's policy
# violation): reconnecting with the same credential gets 401.
CLOSE_SIGNED_OUT = 1008
SIGNED_OUT_REASON = "signed out: the session, token or account was ended"


# Each frame as an EventSource sees it; ``data`` is the event as JSON (docs/events.md).
SSE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["data", "event", "id"],
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9]+$"},
        "event": {"type": "string"},
        "data": {"type": "string", "contentMediaType": "application/json"},
        "retry": {"type": "integer"},
    },
    "additionalProperties": False,
}
EVENT_ID_DOC = "The id of the last event the client saw; the stream continues after it"
STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
        "description": "The project's events, one SSE frame each (see docs/events.md)",
    },
    **error_responses(404, 422),
}


@router.get("/stream/{project_id}", response_class=StreamingResponse, responses=STREAM_RESPONSES)
async def stream(
    project_id: OwnedProjectId,
    services: Services,
    request: Request,
    principal: CurrentPrincipal,
    last_event_id: Annotated[
        str,
        Header(description=EVENT_ID_DOC, json_schema_extra={"pattern": EVENT_ID_PATTERN}),
    ] = "",
    last_event_id_query: Annotated[
        str,
        Query(
            alias="last_event_id",
            description=EVENT_ID_DOC,
            json_schema_extra={"pattern": EVENT_ID_PATTERN},
        ),
    ] = "",
) -> StreamingResponse:
    last_id = _parse_last_id(last_event_id, last_event_id_query)

    async def body() -> AsyncIterator[bytes]:
        with (
            services.metrics.connections.labels(transport="sse").track_inprogress(),
            services.connections.track(project_id, "sse"),
        ):
            yield RETRY_FRAME
            async for batch in feed_of(services, project_id, last_id):
                yield b"".join(envelope.sse for envelope in batch) if batch else b": ping\n\n"

    watched = (credential_of(request.state), principal.user_id)
    return EventStreamResponse(body(), guard=services.guard, watched=watched)


@router.websocket("/ws/{project_id}")
async def websocket_events(
    websocket: WebSocket,
    project_id: str,
    services: Annotated[AppServices, Depends(ws_services)],
    principal: WsPrincipal,
    last_event_id: Annotated[str | None, Query()] = None,
) -> None:
    await websocket.accept()
    try:
        # Another user's project is refused exactly as a missing one: 4404 (ownership.py).
        await _require_owned_project(services, project_id, principal.user_id)
        last_id = _parse_last_id(None, last_event_id)
    except ApiforgeError as exc:
        # 4404 lets a client tell a missing project from a request it must not repeat.
        await _refuse(websocket, 4404 if exc.status_code == 404 else 1008, exc.code, exc.message)
        return
    revoked = asyncio.Event()
    with (
        services.metrics.connections.labels(transport="websocket").track_inprogress(),
        services.connections.track(project_id, "websocket"),
        services.guard.watch(
            credential_of(websocket.state), principal.user_id, on_revoked=revoked.set
        ),
    ):
        await _serve_events(websocket, services, project_id, principal.user_id, last_id, revoked)


async def _serve_events(
    websocket: WebSocket,
    services: AppServices,
    project_id: str,
    user_id: str,
    last_id: int | None,
    revoked: asyncio.Event,
) -> None:
    sender = asyncio.create_task(_send_events(websocket, services, project_id, last_id))
    acting = asyncio.Lock()  # held while an action runs
    receiver = asyncio.create_task(
        _receive_actions(websocket, services, project_id, user_id, acting)
    )
    ended = asyncio.create_task(revoked.wait())
    try:
        await asyncio.wait({receiver, ended}, return_when=asyncio.FIRST_COMPLETED)
        if revoked.is_set():
            # A prompt being queued is let finish (not cut half-way); none starts after this.
            async with acting:
                receiver.cancel()
    finally:
        for task in (sender, receiver, ended):
            task.cancel()
        for task in (sender, ended):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    if revoked.is_set():
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
            await receiver
        with contextlib.suppress(RuntimeError, OSError):  # the client may be gone already
            await websocket.close(code=CLOSE_SIGNED_OUT, reason=SIGNED_OUT_REASON)
        return
    with contextlib.suppress(WebSocketDisconnect):
        await receiver


async def _refuse(websocket: WebSocket, close_code: int, code: str, message: str) -> None:
    """An error frame, then a close frame whose reason says the same (at most 123 bytes)."""
    await websocket.send_json({"type": "error", "code": code, "message": message})
    reason = message.encode()[:123].decode(errors="ignore")
    await websocket.close(code=close_code, reason=reason)


async def _send_events(
    websocket: WebSocket, services: AppServices, project_id: str, last_id: int | None
) -> None:
    deleted = False
    async for batch in feed_of(services, project_id, last_id):
        if not batch:
            await websocket.send_json({"type": "ping"})
        for envelope in batch:
            await websocket.send_text(envelope.json)
            deleted = envelope.event.type == DELETED
    if deleted:
        await websocket.close(code=1000, reason="project deleted")
        return
    # The feed ended: the server is stopping (1012, service restart) or this client fell too
    # far behind (1013, try again later). Either way the client reconnects with its last seq.
    await websocket.close(code=1012 if services.bus.closed else 1013)


async def _next_message(websocket: WebSocket) -> dict[str, Any] | None:
    """The next client frame as a JSON object ({} for other JSON); None after closing the
    connection over a frame that is not JSON text (binary: 1003, unsupported data; not JSON:
    1007, invalid payload)."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    if text is None:
        binary = "Binary frames are not accepted; send JSON text frames"
        await _refuse(websocket, 1003, "unsupported_frame", binary)
        return None
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested beyond the stack
        await _refuse(websocket, 1007, "invalid_json", "Frames must be JSON text")
        return None
    return parsed if isinstance(parsed, dict) else {}


async def _receive_actions(
    websocket: WebSocket,
    services: AppServices,
    project_id: str,
    user_id: str,
    acting: asyncio.Lock,
) -> None:
    while True:
        message = await _next_message(websocket)
        if message is None:
            return
        async with acting:
            await _act(websocket, services, project_id, user_id, message)


async def _act(
    websocket: WebSocket,
    services: AppServices,
    project_id: str,
    user_id: str,
    message: dict[str, Any],
) -> None:
    action = message.get("action")
    try:
        if action in ("prompt", "cancel"):
            # Actions are writes, counted with the user's REST writes (rate_limits.py).
            await services.writes.check(user_id)
        if action == "prompt":
            prompt = _checked_prompt(message.get("prompt"), services)
            version = await services.generations.iterate(project_id, prompt)
            ack = {"type": "ack", "version": Version.of(version).model_dump()}
            await websocket.send_json(ack)
        elif action == "cancel":
            cancelled = await services.generations.cancel(project_id)
            await websocket.send_json({"type": "ack", "cancelled": cancelled})
        else:
            raise InputError(f"Unknown action {action!r}", code="unknown_action")
    except ApiforgeError as exc:
        await websocket.send_json({"type": "error", "code": exc.code, "message": exc.message})


def _checked_prompt(prompt: object, services: AppServices) -> str:
    """The same rules as the REST routes' prompt bodies."""
    if not isinstance(prompt, str):
        raise InputError("'prompt' must be a string", code="invalid_input")
    problem = prompt_problem(prompt)
    if problem is not None:
        code, message = problem
        raise InputError(message, code=code)
    check_prompt_length(prompt, services.settings.max_prompt_chars)
    return prompt
