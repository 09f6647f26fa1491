"""The app's services, built in the lifespan and reached from routes through dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request, WebSocket

from apiforge.auth.service import Accounts
from apiforge.auth.stream_guard import StreamGuard
from apiforge.events.bus import EventBus
from apiforge.events.log import EventLog
from apiforge.generation.plumbing.context import GenerationRuntime
from apiforge.generation.service import GenerationService
from apiforge.limit_storage import LimitStorage
from apiforge.metrics import Metrics
from apiforge.server.rate_limits import WriteLimiter
from apiforge.server.stream_connections import StreamConnections
from apiforge.settings import Settings
from apiforge.store.db import Database


@dataclass
class AppServices:
    settings: Settings
    db: Database
    bus: EventBus
    log: EventLog
    runtime: GenerationRuntime
    generations: GenerationService
    accounts: Accounts
    previews: Any = None
    writes: WriteLimiter = field(default_factory=lambda: WriteLimiter(0))
    # Where the login throttle and the write limit count (memory, or Redis shared by processes).
    limits: LimitStorage = field(default_factory=LimitStorage.memory)
    metrics: Metrics = field(default_factory=Metrics)
    # Open SSE and WebSocket connections by project (stream-status).
    connections: StreamConnections = field(default_factory=StreamConnections)
    # Open streams by credential; ends those whose credential stops signing in (stream_guard.py).
    guard: StreamGuard = field(init=False)

    def __post_init__(self) -> None:
        self.guard = StreamGuard(self.db, self.settings.stream_auth_check_s)


def _services(request: Request) -> AppServices:
    services: AppServices = request.app.state.services
    return services


def ws_services(websocket: WebSocket) -> AppServices:
    services: AppServices = websocket.app.state.services
    return services


Services = Annotated[AppServices, Depends(_services)]
