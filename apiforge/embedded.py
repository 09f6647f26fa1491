"""Running a real apiforge server inside the current process, on a free loopback port.

The CLI uses it when no ``--server`` is given, so embedded and remote use share one code path.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from apiforge.server.app import create_app
from apiforge.server.runner import ApiforgeServer, server_config
from apiforge.settings import Settings


@asynccontextmanager
async def embedded_server(settings: Settings) -> AsyncIterator[str]:
    app = create_app(settings)
    config = server_config(app, "127.0.0.1", 0, log_level="warning")
    server = ApiforgeServer(app, config, handle_signals=False)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the embedded server stopped during startup")
            await asyncio.sleep(0.02)
        yield server.url
    finally:
        server.should_exit = True
        await task
