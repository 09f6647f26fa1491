"""``apiforge worker``: the app's services without HTTP, running generations from the DBOS queue.

It runs the same lifespan as a server (migrations, bus, event log, DBOS launch and recovery),
so a generation runs exactly as in ``serve``; only the requests come from the queue, enqueued
by ``serve --role api`` processes. Its events reach clients of those processes through the
shared bus (Redis), and a Stop reaches it through the version row.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from apiforge.logs import configure_logging
from apiforge.server.app import create_app
from apiforge.settings import Settings


async def run_worker(settings: Settings, announce: Callable[[str], None]) -> None:
    """Run until SIGTERM or SIGINT; running generations are left to recover, as in ``serve``."""
    settings = settings.model_copy(update={"role": "worker"})
    configure_logging(settings)
    app = create_app(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with app.router.lifespan_context(app):
        announce(settings.resolved_executor_id)
        await stop.wait()
