"""An apiforge app run in the test's own process, inside its lifespan, for tests that must see
its objects (statement counts, its tasks) rather than talk to a server process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from dbos._dbos import _get_or_create_dbos_registry
from fastapi import FastAPI

from apiforge.server.app import create_app
from apiforge.settings import Settings


@asynccontextmanager
async def in_process_app(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1"
            ) as client:
                yield app, client
    finally:
        # DBOS keeps each configured instance (the app's GenerationWorkflow) in a registry for
        # the process's life, for recovery; a server makes one app per process. A second app
        # in this test process must not find the first one's there (DBOS refuses duplicates).
        instances = _get_or_create_dbos_registry().instance_info_map
        for name in [n for n in instances if n.endswith("GenerationWorkflow/generation")]:
            del instances[name]
