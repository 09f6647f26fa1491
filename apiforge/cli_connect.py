"""Which server a CLI command talks to.

In order: ``--server`` when given; else the process serving the configured data dir (it holds
``server.lock`` there); else a server answering at the configured address
(``APIFORGE_HOST:APIFORGE_PORT``); else one started inside the CLI on the data dir, acting as
the local owner — in local mode only: with accounts (``APIFORGE_AUTH=password|header``) the
command needs a server. Embedding is never done while another process serves the same data
dir: two processes on one SQLite/DBOS store would each fail the other's generations as
"interrupted".

Every client it makes sends the ``--token`` (or ``APIFORGE_TOKEN``) given, as a bearer token.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console

from apiforge.cli_tokens import token_for
from apiforge.client import ApiforgeClient
from apiforge.data_dir_claim import DataDirInUse, ServerRecord, current_owner, local_url
from apiforge.errors import ApiforgeError, AuthenticationRequired
from apiforge.settings import Settings

# Loopback answers in milliseconds; nothing listening is refused at once. Generous for a loaded
# machine, small next to the seconds an embedded start costs.
PROBE_TIMEOUT_S = 0.5
# A server that holds the data dir but does not answer yet is usually still starting.
OWNER_STARTUP_WAIT_S = 20.0

TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="APIFORGE_TOKEN",
        show_envvar=True,
        help="API token for a server with accounts (sent as Authorization: Bearer)",
    ),
]


async def answers(client: ApiforgeClient) -> bool:
    """Whether an apiforge server answers its health check at the client's URL, quickly."""
    try:
        return (await client.health(timeout=PROBE_TIMEOUT_S)).status == "ok"
    except (httpx.HTTPError, ApiforgeError, ValueError, AttributeError):
        return False


async def _owner_client(
    owner: ServerRecord, data_dir: Path, token: str | None = None
) -> ApiforgeClient | None:
    """A client of the owner once it answers; None if it let go of the data dir meanwhile."""
    client = ApiforgeClient(owner.url, token=token or token_for(owner.url))
    deadline = time.monotonic() + OWNER_STARTUP_WAIT_S
    try:
        while not await answers(client):
            if current_owner(data_dir) is None:
                await client.aclose()
                return None
            if time.monotonic() > deadline:
                raise ApiforgeError(
                    f"apiforge (pid {owner.pid}) serves {data_dir} but does not answer at "
                    f"{owner.url}; stop it, or pass --server",
                    code="server_unreachable",
                )
            await asyncio.sleep(0.1)
    except BaseException:
        await client.aclose()
        raise
    return client


async def find_server(settings: Settings, token: str | None = None) -> ApiforgeClient | None:
    """A client of the server to use, or None when the CLI should run one embedded."""
    owner = current_owner(settings.data_dir)
    if owner is not None:
        client = await _owner_client(owner, settings.data_dir, token)
        if client is not None:
            return client
    # One client, probed then used: building an httpx client costs tens of milliseconds.
    url = local_url(settings.host, settings.port)
    client = ApiforgeClient(url, token=token or token_for(url))
    if await answers(client):
        return client
    await client.aclose()
    return None


def _refuse_embedding_with_accounts(settings: Settings) -> None:
    """An embedded server acts as the local owner, whose projects no account sees: with
    accounts, a command would work on projects nobody can open. It talks to the server."""
    if settings.auth != "local":
        raise ApiforgeError(
            f"APIFORGE_AUTH={settings.auth}: this data dir belongs to a server with accounts; "
            "start it (`apiforge serve`) and pass --server",
            code="server_required",
        )


async def _embedded_client(stack: AsyncExitStack, settings: Settings) -> ApiforgeClient:
    from apiforge.embedded import embedded_server  # slow to import; only embedded runs pay

    _refuse_embedding_with_accounts(settings)

    Console(stderr=True).print(
        f"[dim]No apiforge server at {local_url(settings.host, settings.port)}; "
        f"running one inside this command on {settings.data_dir}[/]"
    )
    try:
        return ApiforgeClient(await stack.enter_async_context(embedded_server(settings)))
    except DataDirInUse as busy:
        # Another command started serving the data dir between our look and our start.
        client = await _owner_client(busy.owner, settings.data_dir) if busy.owner else None
        if client is None:
            raise
        return client


@asynccontextmanager
async def connect(server: str | None, token: str | None = None) -> AsyncIterator[ApiforgeClient]:
    async with AsyncExitStack() as stack:
        if server:
            client = ApiforgeClient(server, token=token or token_for(server))
        else:
            settings = Settings()
            found = await find_server(settings, token)
            client = found or await _embedded_client(stack, settings)
        # Entered last, so it closes before an embedded server stops.
        entered = await stack.enter_async_context(client)
        try:
            yield entered
        except AuthenticationRequired as refused:
            raise AuthenticationRequired(f"{refused.message} {sign_in_hint(entered)}") from None


def sign_in_hint(client: ApiforgeClient) -> str:
    """What to do about a 401: the server's message cannot know how the CLI got its token."""
    login = f"`apiforge login --server {client.base_url}`"
    if client.sends_token:
        return (
            f"The token sent to {client.base_url} was refused (revoked, or made on another "
            f"server): run {login} again, or pass another --token."
        )
    return (
        f"No token for {client.base_url} (tokens are kept per URL, as typed at login): "
        f"run {login}, or pass --token."
    )
