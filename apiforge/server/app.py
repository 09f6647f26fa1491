"""The app factory and its lifespan, which owns every long-lived service and task."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from dbos import DBOS, DBOSConfig
from fastapi import Depends, FastAPI

from apiforge.auth.csrf import check_csrf
from apiforge.auth.middleware import PrincipalMiddleware
from apiforge.auth.service import Accounts
from apiforge.data_dir_claim import claiming_data_dir
from apiforge.events.bus import BUSES, EventBus
from apiforge.events.log import EventLog
from apiforge.generation.failover import Failover
from apiforge.generation.plumbing.context import GenerationRuntime
from apiforge.generation.queue_limits import register_generation_queue
from apiforge.generation.service import GenerationService
from apiforge.generation.steps.workflow import GenerationWorkflow
from apiforge.generation.stranded import end_stranded_generations
from apiforge.generation.takeover import settle_older_of_own, take_over
from apiforge.limit_storage import LimitStorage
from apiforge.logs import RequestIdMiddleware
from apiforge.metrics import Metrics
from apiforge.providers.registry import load_provider
from apiforge.registry import resolve
from apiforge.sandbox.base import Validator
from apiforge.sandbox.choose import load_previews, load_validator
from apiforge.sandbox.shared_previews import SharedPreviews
from apiforge.sandbox.validator import SandboxValidator
from apiforge.server import (
    routes_auth,
    routes_generate,
    routes_metrics,
    routes_preview,
    routes_projects,
    routes_status,
    routes_stream,
    routes_versions,
    web,
)
from apiforge.server.access import LocalAccessMiddleware
from apiforge.server.errors import install_error_handlers
from apiforge.server.heap import freeze_startup_heap
from apiforge.server.metrics_http import RequestMetricsMiddleware
from apiforge.server.openapi import install_openapi
from apiforge.server.rate_limits import WriteLimiter, count_write
from apiforge.server.security_headers import SecurityHeadersMiddleware
from apiforge.server.state import AppServices
from apiforge.server.stream_connections import StreamConnections
from apiforge.settings import Settings, settings_from_environment
from apiforge.store.db import Database
from apiforge.versions.cache import VersionCache

log = logging.getLogger("apiforge")


def _prepare_dbos_sqlite(url: str) -> None:
    """DBOS leaves SQLite in rollback-journal mode; WAL lets readers and the writer overlap."""
    if not url.startswith("sqlite:///"):
        return
    path = Path(url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


# DBOS's notification listener on SQLite sleeps this long between polls, and DBOS.destroy joins
# it: at DBOS's default (1 s) every stop, an embedded CLI command's exit included, waited half
# a second on average. A poll with nobody waiting on a DBOS event reads nothing.
NOTIFICATION_POLL_S = 0.05


def _launch_dbos(settings: Settings, stack: AsyncExitStack) -> None:
    """Make this process's DBOS instance (launched by the lifespan once the services exist),
    destroyed by ``stack``: after a failed launch too, which leaves its event-loop thread."""
    _prepare_dbos_sqlite(settings.resolved_dbos_url)
    config: DBOSConfig = {
        "name": "apiforge",
        "system_database_url": settings.resolved_dbos_url,
        "application_version": settings.application_version,
        "executor_id": settings.resolved_executor_id,
        "log_level": "WARNING",
        "notification_listener_polling_interval_sec": NOTIFICATION_POLL_S,
    }
    DBOS(config=config)
    stack.callback(DBOS.destroy, workflow_completion_timeout_sec=0)
    if settings.role == "api":
        # Enqueued generations are for workers; this process dequeues nothing.
        DBOS.listen_queues([])


async def _open_event_log(
    settings: Settings, metrics: Metrics, stack: AsyncExitStack
) -> tuple[Database, EventBus, EventLog]:
    """The app database, the bus and the event log, each closed by ``stack`` (log first: a
    shared bus still sends what the log's last flush published; then the bus, then the DB)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    stack.push_async_callback(db.close)
    await db.migrate()
    bus: EventBus = resolve(BUSES, settings.bus, "event bus").from_settings(settings)
    bus.observe_lag = metrics.bus_lag_observer(settings.bus)
    await bus.start()
    stack.push_async_callback(bus.aclose)
    event_log = EventLog(
        db,
        bus,
        flush_interval_s=settings.event_flush_ms / 1000,
        batch_max=settings.event_batch_max,
        retention=settings.event_retention,
        observe=metrics.event_appended,
        observe_flush=metrics.events_flushed,
    )
    await event_log.start()
    stack.push_async_callback(event_log.aclose)
    return db, bus, event_log


def _watch_sandbox(metrics: Metrics, validator: Validator, previews: Any) -> None:
    """Gauges read at each scrape: the preview count and the slots of each sandbox pool."""
    if isinstance(previews, SharedPreviews):
        metrics.watch_previews(lambda: len(previews.running()))
        metrics.watch_slots("preview", previews.slots)
    else:
        metrics.watch_previews(lambda: 0)  # no sandbox, no previews: 0, not an absent series
    if isinstance(validator, SandboxValidator):
        metrics.watch_slots("validation", validator.slots)


async def _open_accounts(
    settings: Settings, db: Database, stack: AsyncExitStack
) -> tuple[Accounts, WriteLimiter, LimitStorage]:
    limits = LimitStorage.from_settings(settings)
    stack.push_async_callback(limits.aclose)
    accounts = Accounts(settings, db, limits)
    stack.push_async_callback(accounts.aclose)
    await accounts.start()
    await accounts.ensure_first_admin()
    return accounts, WriteLimiter(settings.limit_writes_per_minute, limits), limits


def _open_previews(
    settings: Settings, db: Database, stack: AsyncExitStack
) -> SharedPreviews | None:
    manager = load_previews(settings)
    if manager is None:
        return None
    previews = SharedPreviews(manager, db, settings)
    stack.push_async_callback(previews.aclose)
    return previews


async def _build_services(settings: Settings, stack: AsyncExitStack) -> AppServices:
    """Every service, each one's closing pushed on ``stack`` as soon as it is open, so a
    start-up that fails at any step closes what the steps before it opened."""
    provider = load_provider(settings)
    stack.push_async_callback(provider.aclose)
    metrics = Metrics(provider.name, settings.model)
    db, bus, event_log = await _open_event_log(settings, metrics, stack)
    accounts, writes, limits = await _open_accounts(settings, db, stack)
    _launch_dbos(settings, stack)
    # After DBOS on the stack, so closed before it: their cleanup runs in DBOS's threads.
    validator, previews = load_validator(settings), _open_previews(settings, db, stack)
    _watch_sandbox(metrics, validator, previews)
    runtime = GenerationRuntime(
        settings=settings,
        db=db,
        log=event_log,
        provider=provider,
        validator=validator,
        cache=VersionCache(settings.version_cache_bytes),
        previews=previews,
        metrics=metrics,
    )
    generations = GenerationService(runtime, GenerationWorkflow(runtime))
    stack.push_async_callback(generations.aclose)
    return AppServices(
        settings,
        db,
        bus,
        event_log,
        runtime,
        generations,
        accounts,
        previews,
        writes=writes,
        metrics=metrics,
        limits=limits,
        connections=StreamConnections.from_settings(settings),
    )


async def _start_failover(services: AppServices) -> Failover | None:
    """Heartbeats and take-over, when processes share the DBOS database (else there is no
    other process to take over from)."""
    settings = services.settings
    if not settings.dbos_database_url:
        return None
    runtime = services.runtime
    failover = Failover(
        services.db,
        settings,
        partial(take_over, runtime),
        partial(end_stranded_generations, runtime),
    )
    await failover.start()
    live = await failover.live_versions()
    await settle_older_of_own(
        services.runtime, failover.executor_id, settings.application_version, live
    )
    return failover


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    async with AsyncExitStack() as stack:
        services = await _build_services(settings, stack)
        app.state.services = services
        await services.connections.start()
        stack.push_async_callback(services.connections.aclose)
        await services.guard.start()
        stack.push_async_callback(services.guard.aclose)
        DBOS.launch()
        await register_generation_queue(settings)
        interrupted = await services.generations.fail_interrupted()
        if interrupted:
            log.warning("marked %d interrupted generation(s) as failed", interrupted)
        # Before DBOS stops (and the previews and validator it runs): see WorkflowTasks.
        stack.push_async_callback(services.runtime.workflow_tasks.interrupt)
        if services.previews is not None:
            # Before the interrupt, which waits for a workflow in its last step: the preview
            # that step boots gives up at once, and the step ends (PreviewManager).
            stack.callback(services.previews.refuse_starts)
        if failover := await _start_failover(services):
            # Pushed last, so stopped first: no take-over starts while the rest closes.
            stack.push_async_callback(failover.aclose)
        log.debug("froze %d start-up objects", freeze_startup_heap())
        yield


def create_app(settings: Settings | None = None) -> FastAPI:
    app = FastAPI(
        title="apiforge",
        lifespan=claiming_data_dir(lifespan),
        docs_url="/api/docs",
        redoc_url=None,
        # Before any route's own: a write over the user's limit is refused before it runs.
        # CSRF after the count: a refused forgery still counts against its (victim) user's
        # limit, which keeps a forging page from probing without bound.
        dependencies=[Depends(count_write), Depends(check_csrf)],
    )
    app.state.settings = settings = settings or settings_from_environment()
    install_error_handlers(app)
    install_openapi(app, settings)
    app.include_router(routes_projects.router)
    app.include_router(routes_auth.router)
    app.include_router(routes_stream.router)
    app.include_router(routes_status.router)
    app.include_router(routes_generate.router)
    app.include_router(routes_versions.router)
    app.include_router(routes_preview.router)
    app.include_router(routes_metrics.router)
    web.mount(app)
    app.add_middleware(PrincipalMiddleware, settings=settings)
    # Added last, so run first: a refused request never reaches the principal or a route, and
    # every answer, refusals included, carries the security headers.
    app.add_middleware(LocalAccessMiddleware, settings=settings)
    docs = frozenset(p for p in (app.docs_url, app.swagger_ui_oauth2_redirect_url) if p)
    app.add_middleware(SecurityHeadersMiddleware, docs_paths=docs)
    # Outside all others: refusals by the middlewares inside are counted too, and every line
    # logged for a request (uvicorn's access line included) carries its id.
    app.add_middleware(RequestMetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)
    return app
