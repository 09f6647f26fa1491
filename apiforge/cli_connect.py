"""Which server a CLI command talks to.

In order: ``--server`` when given; else the process serving the configured data dir (it holds
``server.lock`` there); else a server answering at the configured address
(``APIFORGE_HOST:APIFORGE_PORT``); else one started inside the CLI on the data dir. Embedding is
never done while another process serves the same data dir: two processes on one SQLite/DBOS
store would each fail the other's generations as "interrupted".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
from rich.console import Console

from apiforge.client import ApiforgeClient
from apiforge.data_dir_claim import DataDirInUse, ServerRecord, current_owner, local_url
from apiforge.errors import ApiforgeError
from apiforge.settings import Settings

# Loopback answers in milliseconds; nothing listening is refused at once. Generous for a loaded
# machine, small next to the seconds an embedded start costs.
PROBE_TIMEOUT_S = 0.5
# A server that holds the data dir but does not answer yet is usually still starting.
OWNER_STARTUP_WAIT_S = 20.0


async def answers(http: httpx.AsyncClient, url: str) -> bool:
    """Whether an apiforge server answers its health check at ``url``."""
    try:
        response = await http.get(f"{url}/api/health", timeout=PROBE_TIMEOUT_S)
        return response.status_code == 200 and response.json().get("status") == "ok"
    except (httpx.HTTPError, ValueError, AttributeError):
        return False


async def _owner_url(owner: ServerRecord, data_dir: Path) -> str | None:
    """The owner's URL once it answers; None if it let go of the data dir meanwhile."""
    deadline = time.monotonic() + OWNER_STARTUP_WAIT_S
    async with httpx.AsyncClient() as http:
        while not await answers(http, owner.url):
            if current_owner(data_dir) is None:
                return None
            if time.monotonic() > deadline:
                raise ApiforgeError(
                    f"apiforge (pid {owner.pid}) serves {data_dir} but does not answer at "
                    f"{owner.url}; stop it, or pass --server",
                    code="server_unreachable",
                )
            await asyncio.sleep(0.1)
    return owner.url


async def find_server(settings: Settings) -> str | None:
    """The URL of the server to use, or None when the CLI should run one embedded."""
    owner = current_owner(settings.data_dir)
    if owner is not None:
        url = await _owner_url(owner, settings.data_dir)
        if url is not None:
            return url
    configured = local_url(settings.host, settings.port)
    async with httpx.AsyncClient() as http:
        return configured if await answers(http, configured) else None


async def _embedded_url(stack: AsyncExitStack, settings: Settings) -> str:
    from apiforge.embedded import embedded_server  # slow to import; only embedded runs pay

    Console(stderr=True).print(
        f"[dim]No apiforge server at {local_url(settings.host, settings.port)}; "
        f"running one inside this command on {settings.data_dir}[/]"
    )
    try:
        return await stack.enter_async_context(embedded_server(settings))
    except DataDirInUse as busy:
        # Another command started serving the data dir between our look and our start.
        url = await _owner_url(busy.owner, settings.data_dir) if busy.owner else None
        if url is None:
            raise
        return url


@asynccontextmanager
async def connect(server: str | None) -> AsyncIterator[ApiforgeClient]:
    async with AsyncExitStack() as stack:
        settings = Settings()
        url = server or await find_server(settings) or await _embedded_url(stack, settings)
        yield await stack.enter_async_context(ApiforgeClient(url))
