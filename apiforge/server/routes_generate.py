"""``POST /api/generate``: run one generation and answer when it has ended, or stream it.

For clients that want one request per generation (the product's non-streaming endpoint kept for
old clients, and its ``/api/generate/stream``): a new project, or the next version of
``project_id``. The JSON answer waits at most ``APIFORGE_GENERATE_WAIT_S`` (or ``?wait_s=``,
whichever is shorter); past that, 504 names the version, which goes on. A generation that
failed is an answer, not a server error: 200 with ``version.status`` ``failed`` and its
``error`` and ``validation``. ``?stream=true`` answers as Server-Sent Events of that version
only, framed as ``/api/stream``'s, and ends after its terminal event.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse

from apiforge.api_models import (
    ErrorDetail,
    GenerationResult,
    GenerationStillRunning,
    ProjectSummary,
    Version,
)
from apiforge.auth.principal import CurrentPrincipal
from apiforge.errors import ApiforgeError, GenerationTimeout, NotFoundError, ServerStopping
from apiforge.events.bus import Envelope, EventBus
from apiforge.events.feed import DELETED
from apiforge.events.types import TERMINAL_TYPES
from apiforge.server.errors import error_responses, status_description
from apiforge.server.inputs import GenerateBody, check_prompt_length
from apiforge.server.routes_stream import SSE_EVENT_SCHEMA, feed_of
from apiforge.server.sse_response import SSE_HEADERS
from apiforge.server.state import AppServices, Services
from apiforge.store import repository as repo
from apiforge.store.models import ApiVersion
from apiforge.versions import load_version_files

router = APIRouter(prefix="/api")

GENERATE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
        "description": "The ended version with its files (JSON); with `stream=true`, the "
        "version's events as SSE frames, through its terminal event",
    },
    **error_responses(400, 404, 409, 422, 503),
    504: {"model": GenerationStillRunning, "description": status_description(504)},
}
STREAM_DOC = (
    "Answer with the generation's events as Server-Sent Events (as `/api/stream`, this version "
    "only) instead of waiting; the stream ends after the terminal event"
)
# A feed that ended with nothing new is subscribed again after this long (Redis away).
RESUBSCRIBE_S = 0.5
WAIT_DOC = "Wait at most this many seconds (capped at APIFORGE_GENERATE_WAIT_S); then 504"


@router.post("/generate", response_model=GenerationResult, responses=GENERATE_RESPONSES)
async def generate(
    body: GenerateBody,
    principal: CurrentPrincipal,
    services: Services,
    stream: Annotated[bool, Query(description=STREAM_DOC)] = False,
    wait_s: Annotated[float | None, Query(gt=0, le=86_400, description=WAIT_DOC)] = None,
) -> Response:
    check_prompt_length(body.prompt, services.settings.max_prompt_chars)
    version = await _start(services, body, principal.user_id)
    if stream:
        events = _sse(services, version.project_id, version.version_number)
        return StreamingResponse(events, media_type="text/event-stream", headers=SSE_HEADERS)
    limit = min(wait_s or math.inf, services.settings.generate_wait_s)
    try:
        async with asyncio.timeout(limit):
            async for _batch in version_events(
                services, version.project_id, version.version_number
            ):
                pass
    except TimeoutError:
        return await _still_running(services, version)
    return await _result(services, version)


async def _start(services: AppServices, body: GenerateBody, owner_id: str) -> ApiVersion:
    if body.project_id is None:
        _project, version = await services.generations.create_project(
            body.prompt, None, owner_id=owner_id
        )
        return version
    async with services.db.read() as session:
        # Another user's project is "not found", as on every project route (ownership.py).
        await repo.get_owned_project(session, body.project_id, owner_id=owner_id)
    return await services.generations.iterate(body.project_id, body.prompt)


async def version_events(
    services: AppServices, project_id: str, number: int
) -> AsyncIterator[list[Envelope]]:
    """Version ``number``'s events in batches, through its terminal event; an empty batch is
    a heartbeat. Raises NotFoundError if the project is deleted meanwhile, ServerStopping if
    the server stops first."""
    async for batch in follow_version(partial(feed_of, services, project_id), services.bus, number):
        yield batch


async def follow_version(
    feed: Callable[[int | None], AsyncIterator[list[Envelope]]], bus: EventBus, number: int
) -> AsyncIterator[list[Envelope]]:
    """``version_events`` over ``feed(last_event_id)``, subscribed again each time it ends."""
    last_id: int | None = None
    while True:
        progressed = False
        async for batch in feed(last_id):
            if not batch:
                yield []
                continue
            progressed, last_id = True, max(last_id or 0, batch[-1].seq)
            mine, ended = _of_version(batch, number)
            if mine:
                yield mine
            if ended:
                return
        if bus.closed:
            raise ServerStopping("The server is stopping; the generation resumes when it is back")
        # The feed drops a reader that fell far behind: go on after the last event seen. One
        # that ended with nothing new could not subscribe (the Redis bus's Redis is away):
        # wait before the next round, which reads the log, rather than spin on it.
        if not progressed:
            await asyncio.sleep(RESUBSCRIBE_S)


def _of_version(batch: list[Envelope], number: int) -> tuple[list[Envelope], bool]:
    mine: list[Envelope] = []
    for envelope in batch:
        event = envelope.event
        if event.type == DELETED:
            raise NotFoundError("The project was deleted during its generation")
        if event.version_number != number:
            continue
        mine.append(envelope)
        if event.type in TERMINAL_TYPES:
            return mine, True
    return mine, False


async def _sse(services: AppServices, project_id: str, number: int) -> AsyncIterator[bytes]:
    with (
        services.metrics.connections.labels(transport="sse").track_inprogress(),
        services.connections.track(project_id, "sse"),
    ):
        try:
            async for batch in version_events(services, project_id, number):
                yield b"".join(envelope.sse for envelope in batch) if batch else b": ping\n\n"
        except ApiforgeError:
            # Deleted, or the server stops: the stream just ends, as /api/stream's does; the
            # client follows up with GET /api/stream/{project_id} and its last event id.
            return


async def _result(services: AppServices, started: ApiVersion) -> JSONResponse:
    project_id, number = started.project_id, started.version_number
    async with services.db.read() as session:
        project = await repo.get_project(session, project_id)
        version = await repo.get_version(session, project_id, number)
        files = await load_version_files(
            session, project_id=project_id, version_number=number, cache=services.runtime.cache
        )
    result = GenerationResult(
        project=ProjectSummary.of(project, version),
        version=Version.of(version),
        files=dict(sorted(files.items())),
    )
    return JSONResponse(result.model_dump(mode="json"))


async def _still_running(services: AppServices, started: ApiVersion) -> JSONResponse:
    project_id, number = started.project_id, started.version_number
    async with services.db.read() as session:
        version = await repo.get_version(session, project_id, number)
    timeout = GenerationTimeout(
        f"Version {number} is still being generated; it goes on. Follow it with "
        f"GET /api/stream/{project_id} or GET /api/projects/{project_id}/versions/{number}",
        project_id=project_id,
        version_number=number,
    )
    detail = ErrorDetail(code=timeout.code, message=timeout.message, retryable=timeout.retryable)
    body = GenerationStillRunning(error=detail, version=Version.of(version))
    return JSONResponse(body.model_dump(mode="json"), status_code=timeout.status_code)
