from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from tests.core.accounts_server import AccountsServer, running_accounts_server

AsUser = Callable[[str | None], httpx.AsyncClient]


@pytest.fixture(scope="module")
def user_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccountsServer]:
    """A password-mode server shared by one module's tests; each test uses its own users."""
    with running_accounts_server(tmp_path_factory.mktemp("user-server")) as server:
        yield server


@pytest.fixture
async def as_user(user_server: AccountsServer) -> AsyncIterator[AsUser]:
    """``as_user(name)``: a client of ``user_server`` signed in as ``name`` (a real login:
    session cookie and CSRF token); None: anonymous."""
    clients: list[httpx.AsyncClient] = []

    def client_of(name: str | None) -> httpx.AsyncClient:
        headers = user_server.headers_of(name)
        client = httpx.AsyncClient(base_url=user_server.url, headers=headers, timeout=15)
        clients.append(client)
        return client

    yield client_of
    for client in clients:
        await client.aclose()
