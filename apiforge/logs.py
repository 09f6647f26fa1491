"""The server's logs: human-readable text (uvicorn's own format, as always) or, with
``APIFORGE_LOG_FORMAT=json``, one JSON object per line on stderr for a log collector.

JSON lines carry what is known of where they come from, through context variables: the request
(``request_id``, set by :class:`RequestIdMiddleware`) and the generation (``project_id``,
``version_number``, ``workflow_id``, set by the generation workflow). A generation started by a
request keeps that request's id: DBOS starts the workflow in a task that copies its context.

python-json-logger does the formatting (exceptions, stack traces, values JSON cannot encode):
a maintained formatter for the standard ``logging`` that uvicorn and DBOS log through already,
so their records need no adapter, which structlog would add.
"""

from __future__ import annotations

import copy
import logging
import logging.config
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.config import LOGGING_CONFIG

from apiforge.settings import Settings

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
project_id: ContextVar[str | None] = ContextVar("project_id", default=None)
version_number: ContextVar[int | None] = ContextVar("version_number", default=None)
workflow_id: ContextVar[str | None] = ContextVar("workflow_id", default=None)
CONTEXT = (request_id, project_id, version_number, workflow_id)

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is kept only when it is a plain token (a proxy's UUID or trace id): anything
# else, too long or with other characters, is replaced rather than written into the logs.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class ContextFilter(logging.Filter):
    """Adds each context variable that is set to the record (a handler's filter: it sees the
    records of every logger that reaches the handler, not only of one logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for variable in CONTEXT:
            value = variable.get()
            if value is not None:
                setattr(record, variable.name, value)
        return True


def json_formatter() -> JsonFormatter:
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        # uvicorn's coloured copy of each message is for terminals only.
        reserved_attrs=[*RESERVED_ATTRS, "color_message"],
    )


def _quiet_httpx(level: str) -> dict[str, Any]:
    # httpx logs each request at INFO: the validator's and the preview's calls to the
    # generated app (a dozen "HTTP Request: GET http://app/…" lines per generation).
    return {"httpx": {"level": max(logging.getLevelName(level), logging.WARNING)}}


def _text_config(level: str) -> dict[str, Any]:
    """uvicorn's own format, plus a root handler: without one, apiforge's and the libraries'
    INFO lines (a takeover, a sweep at start-up) reached only logging's last-resort handler,
    which drops everything below WARNING."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["root"] = {"handlers": ["default"], "level": level}
    config["loggers"] |= _quiet_httpx(level)
    return config


def logging_config(settings: Settings) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` for the server (uvicorn's ``log_config``)."""
    level = settings.log_level.upper()
    if settings.log_format == "text":
        return _text_config(level)
    # Every logger on one stream, stderr; named ones (uvicorn's, DBOS's) get the handler of
    # their own and stop propagating, as uvicorn's default does, so no line is written twice.
    own = {"handlers": ["json"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": json_formatter}},
        "filters": {"context": {"()": ContextFilter}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["context"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["json"], "level": level},
        # DBOS adds a text handler of its own only while its logger has none.
        "loggers": {name: own for name in ("uvicorn", "uvicorn.access", "dbos")}
        | {"uvicorn.error": {"level": level}}
        | _quiet_httpx(level),
    }


def configure_logging(settings: Settings) -> None:
    """For processes without uvicorn (``apiforge worker``); uvicorn applies the same config."""
    logging.config.dictConfig(logging_config(settings))
    if settings.log_format == "json":
        logging.captureWarnings(True)  # warnings as JSON lines too, not bare text on stderr


@contextmanager
def generation_context(project: str, version: int, workflow: str | None) -> Iterator[None]:
    """What a generation's log lines carry, for as long as it runs."""
    project_token = project_id.set(project)
    version_token = version_number.set(version)
    workflow_token = workflow_id.set(workflow)
    try:
        yield
    finally:
        workflow_id.reset(workflow_token)
        version_number.reset(version_token)
        project_id.reset(project_token)


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            given = bytes(value).decode("latin-1")
            if _VALID_REQUEST_ID.fullmatch(given):
                return given
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives each HTTP request an id (the caller's ``X-Request-ID`` when it is a plain token, a
    new one otherwise), logs under it, and echoes it in the response's ``X-Request-ID``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_request_id(scope)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        token = request_id.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)
