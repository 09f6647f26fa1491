from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from tests.core.as_user_server import USER_HEADER, AsUserServer

AsUser = Callable[[str | None], httpx.AsyncClient]


@pytest.fixture(scope="module")
def user_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsUserServer]:
    """A password-mode server shared by one module's tests; each test uses its own users."""
    server = AsUserServer(tmp_path_factory.mktemp("user-server"))
    server.start()
    yield server
    server.stop()


def user_headers(name: str | None) -> dict[str, str]:
    """What a request of ``name`` carries (None: anonymous). Real logins replace this."""
    return {USER_HEADER: name} if name is not None else {}


@pytest.fixture
async def as_user(user_server: AsUserServer) -> AsyncIterator[AsUser]:
    """``as_user(name)``: a client of ``user_server`` signed in as ``name``; None: anonymous."""
    clients: list[httpx.AsyncClient] = []

    def client_of(name: str | None) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=user_server.url, headers=user_headers(name), timeout=15)
        clients.append(client)
        return client

    yield client_of
    for client in clients:
        await client.aclose()
