"""Running a real apiforge server inside the current process, on a free loopback port.

The CLI uses it when no ``--server`` is given, so embedded and remote use share one code path.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from apiforge.data_dir_claim import DataDirInUse, current_owner
from apiforge.ports import free_port
from apiforge.server.app import create_app
from apiforge.server.runner import ApiforgeServer, server_config
from apiforge.settings import Settings


def _raise_if_data_dir_taken(settings: Settings) -> None:
    owner = current_owner(settings.data_dir)
    if owner is not None:
        raise DataDirInUse(settings.data_dir, owner)


@asynccontextmanager
async def embedded_server(settings: Settings) -> AsyncIterator[str]:
    # The port is chosen before the app exists: its lifespan publishes the address in the data
    # dir's lock, for other commands to share this server.
    port = free_port()
    settings = settings.model_copy(update={"host": "127.0.0.1", "port": port})
    app = create_app(settings)
    config = server_config(app, "127.0.0.1", port, log_level="warning")
    server = ApiforgeServer(app, config, handle_signals=False)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                _raise_if_data_dir_taken(settings)
                raise RuntimeError("the embedded server stopped during startup")
            await asyncio.sleep(0.02)
        yield server.url
    finally:
        server.should_exit = True
        await task
