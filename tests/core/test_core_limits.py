"""Per-user limits: generations at once, new versions of a project per hour, writes per minute.
Each refusal is a 429 in the error shape with ``Retry-After``, and writes nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.core.accounts_server import AccountsServer
from tests.server_process import ServerProcess

PROMPT = "a todo API with tasks (title, done)"
ACTIVE = ("pending", "generating", "validating")


def _assert_limited(response: httpx.Response, code: str, most_s: int) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["retryable"] is True
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= most_s
    return retry_after


async def _versions(client: httpx.AsyncClient, project_id: str) -> list[dict[str, object]]:
    response = await client.get(f"/api/projects/{project_id}/versions")
    versions: list[dict[str, object]] = response.json()["versions"]
    return versions


async def _wait_idle(client: httpx.AsyncClient, project_id: str) -> None:
    for _ in range(600):
        if all(v["status"] not in ACTIVE for v in await _versions(client, project_id)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{project_id} kept generating")


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """Local mode with the default limits: the limits hold without accounts too."""
    server = ServerProcess(tmp_path / "local")
    server.start()
    yield server
    server.stop()


async def test_a_hundred_restores_stop_at_the_hourly_limit(local_server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=local_server.url, timeout=15) as client:
        created = await client.post("/api/projects", json={"prompt": PROMPT})
        project_id = created.json()["project"]["id"]
        await _wait_idle(client, project_id)
        answers = [
            (await client.post(f"/api/projects/{project_id}/versions/1/restore")).status_code
            for _ in range(100)
        ]
        # v1 and 99 restores make the 100 versions an hour allows; the 100th restore is refused.
        assert answers == [201] * 99 + [429]
        refused = await client.post(f"/api/projects/{project_id}/versions/1/restore")
        _assert_limited(refused, "too_many_versions", 3600)
        assert len(await _versions(client, project_id)) == 100
        # Nor does a prompt or a regenerate get a version past the limit.
        prompt = await client.post(f"/api/projects/{project_id}/versions", json={"prompt": "x y"})
        _assert_limited(prompt, "too_many_versions", 3600)
        regenerate = await client.post(f"/api/projects/{project_id}/versions/1/regenerate")
        _assert_limited(regenerate, "too_many_versions", 3600)
        assert len(await _versions(client, project_id)) == 100
        # Another project of the same user has its own hour.
        other = await client.post("/api/projects", json={"prompt": PROMPT})
        assert other.status_code == 201, other.text


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccountsServer]:
    """Slow generations (they still run mid-test) and a small write allowance."""
    env = {"APIFORGE_ENGINE_DELAY_MS": "40", "APIFORGE_LIMIT_WRITES_PER_MINUTE": "6"}
    server = AccountsServer(tmp_path_factory.mktemp("limited"), env=env)
    server.start()
    yield server
    server.stop()


def _client(server: AccountsServer, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, headers=server.headers_of(name), timeout=15)


async def test_a_third_generation_waits_for_one_of_two(limited_server: AccountsServer) -> None:
    async with _client(limited_server, "erin") as erin, _client(limited_server, "finn") as finn:
        first, second = [
            (await erin.post("/api/projects", json={"prompt": PROMPT})).json()["project"]["id"]
            for _ in range(2)
        ]
        third = await erin.post("/api/projects", json={"prompt": PROMPT})
        _assert_limited(third, "too_many_generations", 60)
        assert {p["id"] for p in (await erin.get("/api/projects")).json()["projects"]} == {
            first,
            second,
        }
        # The limit is per user: another one starts theirs.
        assert (await finn.post("/api/projects", json={"prompt": PROMPT})).status_code == 201
        # Counted from the versions really running: once one stops, a new one may start.
        assert (await erin.post(f"/api/projects/{first}/cancel")).json() == {"cancelled": True}
        await _wait_idle(erin, first)
        again = await erin.post("/api/projects", json={"prompt": PROMPT})
        assert again.status_code == 201, again.text
        for project_id in (second, again.json()["project"]["id"]):
            await erin.post(f"/api/projects/{project_id}/cancel")


async def test_writes_per_minute_are_counted_per_user(limited_server: AccountsServer) -> None:
    async with _client(limited_server, "gail") as gail, _client(limited_server, "hugo") as hugo:
        created = await gail.post("/api/projects", json={"prompt": PROMPT})
        project_id = created.json()["project"]["id"]
        cancel = f"/api/projects/{project_id}/cancel"
        # The creation was the first write of the minute; five more are allowed.
        for _ in range(5):
            assert (await gail.post(cancel)).status_code == 200
        _assert_limited(await gail.post(cancel), "too_many_writes", 60)
        refused = await gail.post("/api/projects", json={"prompt": PROMPT})
        _assert_limited(refused, "too_many_writes", 60)
        assert len((await gail.get("/api/projects")).json()["projects"]) == 1
        # Reading is not limited, and another user's writes are their own.
        assert (await gail.get(f"/api/projects/{project_id}")).status_code == 200
        assert (await hugo.post("/api/projects", json={"prompt": PROMPT})).status_code == 201
        # WebSocket actions are writes too.
        url = limited_server.url.replace("http://", "ws://") + f"/api/ws/{project_id}"
        async with connect(url, additional_headers=limited_server.headers_of("gail")) as ws:
            await ws.send(json.dumps({"action": "cancel"}))
            while (frame := json.loads(await ws.recv())).get("type") != "error":
                pass
        assert frame["code"] == "too_many_writes"
