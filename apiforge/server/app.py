"""The app factory and its lifespan, which owns every long-lived service and task."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

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
from apiforge.generation.service import GenerationService
from apiforge.generation.steps.workflow import GENERATION_QUEUE, GenerationWorkflow
from apiforge.generation.takeover import take_over
from apiforge.metrics import Metrics
from apiforge.providers.registry import load_provider
from apiforge.registry import resolve
from apiforge.sandbox.choose import load_previews, load_validator
from apiforge.server import (
    routes_auth,
    routes_metrics,
    routes_preview,
    routes_projects,
    routes_stream,
    routes_versions,
    web,
)
from apiforge.server.access import LocalAccessMiddleware
from apiforge.server.errors import install_error_handlers
from apiforge.server.metrics_http import RequestMetricsMiddleware
from apiforge.server.openapi import install_openapi
from apiforge.server.rate_limits import WriteLimiter, count_write
from apiforge.server.security_headers import SecurityHeadersMiddleware
from apiforge.server.state import AppServices
from apiforge.settings import Settings
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


def _launch_dbos(settings: Settings) -> None:
    _prepare_dbos_sqlite(settings.resolved_dbos_url)
    config: DBOSConfig = {
        "name": "apiforge",
        "system_database_url": settings.resolved_dbos_url,
        "application_version": settings.application_version,
        "executor_id": settings.resolved_executor_id,
        "log_level": "WARNING",
    }
    DBOS(config=config)
    if settings.role == "api":
        # Enqueued generations are for workers; this process dequeues nothing.
        DBOS.listen_queues([])


async def _register_queue(settings: Settings) -> None:
    """The generation queue's limits live in DBOS's system database, shared by every process:
    at most ``worker_concurrency`` per worker, ``queue_concurrency`` in all (0: no limit)."""
    if settings.role == "all":
        return
    await DBOS.register_queue_async(
        GENERATION_QUEUE,
        worker_concurrency=settings.worker_concurrency,
        global_concurrency=settings.queue_concurrency or None,
    )


async def _start_event_log(
    settings: Settings, db: Database, bus: EventBus, metrics: Metrics
) -> EventLog:
    event_log = EventLog(
        db,
        bus,
        flush_interval_s=settings.event_flush_ms / 1000,
        batch_max=settings.event_batch_max,
        retention=settings.event_retention,
        observe=metrics.event_appended,
    )
    await event_log.start()
    return event_log


async def _build_services(settings: Settings) -> AppServices:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    await db.migrate()
    bus: EventBus = resolve(BUSES, settings.bus, "event bus").from_settings(settings)
    await bus.start()
    provider = load_provider(settings)
    metrics = Metrics(provider.name, settings.model)
    event_log = await _start_event_log(settings, db, bus, metrics)
    previews = load_previews(settings)
    runtime = GenerationRuntime(
        settings=settings,
        db=db,
        log=event_log,
        provider=provider,
        validator=load_validator(settings),
        cache=VersionCache(settings.version_cache_bytes),
        previews=previews,
        metrics=metrics,
    )
    _launch_dbos(settings)
    workflow = GenerationWorkflow(runtime)
    generations = GenerationService(runtime, workflow)
    writes = WriteLimiter(settings.limit_writes_per_minute)
    accounts = Accounts(settings, db)
    await accounts.ensure_first_admin()
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
    )


async def _start_failover(services: AppServices) -> Failover | None:
    """Heartbeats and take-over, when processes share the DBOS database (else there is no
    other process to take over from)."""
    settings = services.settings
    if not settings.dbos_database_url:
        return None
    failover = Failover(services.db, settings, partial(take_over, services.runtime))
    await failover.start()
    return failover


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    services = await _build_services(settings)
    app.state.services = services
    DBOS.launch()
    await _register_queue(settings)
    interrupted = await services.generations.fail_interrupted()
    if interrupted:
        log.warning("marked %d interrupted generation(s) as failed", interrupted)
    failover = await _start_failover(services)
    try:
        yield
    finally:
        if failover is not None:
            await failover.aclose()
        if running := len(services.runtime.runs):
            log.warning("stopping: %d running generation(s) resume at the next start", running)
        # Previews stop first: their cleanup runs in threads of DBOS's executor.
        if services.previews is not None:
            await services.previews.aclose()
        DBOS.destroy(workflow_completion_timeout_sec=0)
        await services.log.aclose()
        # After the log's last flush: a shared bus still sends what that flush published.
        await services.bus.aclose()
        await services.db.close()
        await services.runtime.provider.aclose()
        await services.writes.aclose()
        await services.accounts.aclose()


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
    app.state.settings = settings = settings or Settings()
    install_error_handlers(app)
    install_openapi(app, settings)
    app.include_router(routes_projects.router)
    app.include_router(routes_auth.router)
    app.include_router(routes_stream.router)
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
    # Outermost: refusals by the middlewares inside are counted too.
    app.add_middleware(RequestMetricsMiddleware)
    return app
