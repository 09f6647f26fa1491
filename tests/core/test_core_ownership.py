"""Every project belongs to its owner: each route that names a project answers its owner, tells
another user (admins too) 404 exactly as for an id that names nothing, and tells an anonymous
request 401 — in password mode, on a real server. The matrix must cover every such route of the
app: a new one without an entry fails ``test_the_matrix_covers_every_project_route``."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from apiforge.server.app import create_app
from apiforge.server.ownership import owned_project_id
from apiforge.settings import Settings
from tests.core.accounts_server import AccountsServer
from tests.core.conftest import AsUser

PROMPT = "a todo API with tasks (title, done)"
MISSING = "0" * 32


@dataclass(frozen=True)
class Call:
    method: str
    # The route's path as the app declares it, and the tail sent after /api/projects/{id}/…
    route: str
    body: dict[str, str] | None = None
    # What the owner gets: proof the check let them through (see previews below).
    owner_status: int = 200


V1 = "/api/projects/{project_id}/versions/{number}"
MATRIX = [
    Call("GET", "/api/projects/{project_id}"),
    Call("GET", "/api/projects/{project_id}/versions"),
    Call("GET", V1),
    Call("GET", f"{V1}/files"),
    Call("GET", f"{V1}/files/{{path:path}}"),
    Call("GET", f"{V1}/diff"),
    Call("GET", f"{V1}/archive.zip"),
    Call("GET", "/api/projects/{project_id}/history.bundle"),
    Call("GET", "/api/projects/{project_id}/messages"),
    Call("GET", "/api/projects/{project_id}/stream-status"),
    Call("GET", "/api/stream/{project_id}"),
    # Previews are off on this server (no sandbox): the owner gets past the check to the
    # previews' own answer, which another user never sees.
    Call("GET", f"{V1}/preview"),
    Call("POST", f"{V1}/preview", owner_status=409),
    Call("GET", "/preview/{project_id}/{path:path}", owner_status=404),
    Call("POST", "/api/projects/{project_id}/cancel"),
    Call("POST", f"{V1}/restore", owner_status=201),
    Call("POST", f"{V1}/fork", owner_status=201),
    Call("POST", f"{V1}/regenerate", owner_status=202),
    Call("POST", "/api/projects/{project_id}/versions", {"prompt": "add tags"}, 202),
    Call("DELETE", "/api/projects/{project_id}", owner_status=204),
]
WEBSOCKET = "/api/ws/{project_id}"


def _url(call: Call, project_id: str) -> str:
    path = call.route.replace("{project_id}", project_id).replace("{number}", "1")
    return path.replace("{path:path}", "app/main.py")


async def _send(client: httpx.AsyncClient, call: Call, project_id: str) -> httpx.Response:
    url = _url(call, project_id)
    if call.route.startswith("/api/stream/"):
        async with client.stream("GET", url) as response:
            if response.status_code == 200:
                await anext(response.aiter_bytes())  # an open stream proves access
            else:
                await response.aread()
        return response
    return await client.request(call.method, url, json=call.body)


async def _wait_idle(client: httpx.AsyncClient, project_id: str) -> None:
    for _ in range(300):
        versions = (await client.get(f"/api/projects/{project_id}/versions")).json()["versions"]
        if all(v["status"] not in ("pending", "generating", "validating") for v in versions):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{project_id} kept generating")


async def _project_of(client: httpx.AsyncClient) -> str:
    created = await client.post("/api/projects", json={"prompt": PROMPT})
    assert created.status_code == 201, created.text
    project_id: str = created.json()["project"]["id"]
    await _wait_idle(client, project_id)
    return project_id


def _without_id(response: httpx.Response, project_id: str) -> str:
    return response.text.replace(project_id, "ID")


@pytest.mark.parametrize("call", MATRIX, ids=lambda c: f"{c.method} {c.route}")
async def test_only_the_owner_reaches_a_project(as_user: AsUser, call: Call) -> None:
    alice, bob, admin, anonymous = as_user("alice"), as_user("bob"), as_user("admin"), as_user(None)
    project_id = await _project_of(alice)
    before = (await alice.get(f"/api/projects/{project_id}/versions")).json()
    missing = await _send(bob, call, MISSING)
    assert missing.status_code == 404, missing.text
    for stranger in (bob, admin):
        refused = await _send(stranger, call, project_id)
        # Word for word the answer for an id that names nothing: the id is not confirmed.
        assert refused.status_code == 404, refused.text
        assert _without_id(refused, project_id) == _without_id(missing, MISSING)
    unauthenticated = await _send(anonymous, call, project_id)
    assert unauthenticated.status_code == 401, unauthenticated.text
    assert unauthenticated.json()["error"]["code"] == "unauthenticated"
    # Nothing the others sent changed the project.
    assert (await alice.get(f"/api/projects/{project_id}/versions")).json() == before
    owner = await _send(alice, call, project_id)
    assert owner.status_code == call.owner_status, owner.text
    if call.owner_status == 404:
        assert _without_id(owner, project_id) != _without_id(missing, MISSING)
    if call.method != "DELETE":
        await _wait_idle(alice, project_id)


async def test_websocket_serves_only_the_owner(
    as_user: AsUser, user_server: AccountsServer
) -> None:
    project_id = await _project_of(as_user("alice"))
    url = user_server.url.replace("http://", "ws://") + WEBSOCKET.format(project_id=project_id)
    # Anonymous: refused before the handshake with a plain 401 in the error shape.
    with pytest.raises(InvalidStatus) as denied:
        async with connect(url):
            pass
    assert denied.value.response.status_code == 401
    # Another user (an admin too): the same error frame and close code as a missing project.
    for name in ("bob", "admin"):
        async with connect(url, additional_headers=user_server.headers_of(name)) as ws:
            frame = json.loads(await ws.recv())
            await ws.wait_closed()
        assert frame == {
            "type": "error",
            "code": "not_found",
            "message": f"No project with id {project_id!r}",
        }
        assert ws.close_code == 4404
    # The session cookie rides along with the handshake, as a browser's does. Unbounded queue:
    # the replay left unread would otherwise pause reading, and the close would wait out its
    # 10 s timeout for a close frame stuck behind it.
    headers = user_server.headers_of("alice")
    async with connect(url, additional_headers=headers, max_queue=None) as ws:
        first = json.loads(await ws.recv())
    assert first["type"] == "version:start" and first["project_id"] == project_id


async def test_each_user_lists_and_creates_only_their_own(
    as_user: AsUser, user_server: AccountsServer
) -> None:
    carol, dave = as_user("carol"), as_user("dave")
    mine = await _project_of(carol)
    forked = await carol.post(f"/api/projects/{mine}/versions/1/fork")
    assert forked.json()["project"]["owner_id"] == user_server.user_ids["carol"]
    theirs = await _project_of(dave)
    listed = {p["id"] for p in (await carol.get("/api/projects")).json()["projects"]}
    assert listed == {mine, forked.json()["project"]["id"]}
    assert theirs not in listed
    anonymous = as_user(None)
    assert (await anonymous.get("/api/projects")).status_code == 401
    refused = await anonymous.post("/api/projects", json={"prompt": PROMPT})
    assert refused.status_code == 401
    assert (await anonymous.get("/api/health")).status_code == 200


def _checks_ownership(dependant: Dependant) -> bool:
    return any(d.call is owned_project_id or _checks_ownership(d) for d in dependant.dependencies)


def test_the_matrix_covers_every_project_route() -> None:
    app = create_app(Settings())
    routes: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        path, original = str(route.path), route.original_route
        if "{project_id}" not in path:
            continue
        if path == "/projects/{project_id}":
            # The UI's page: the same static file for any id; its data comes from the API.
            assert route.name == "page" and not route.include_in_schema
        elif isinstance(original, APIRoute):
            assert _checks_ownership(route.dependant), path
            methods = set(route.methods or ()) - {"HEAD"}
            # The preview proxy takes every method through one function: GET stands for all.
            routes |= {(m, path) for m in (methods if len(methods) <= 2 else {"GET"})}
        else:
            assert isinstance(original, APIWebSocketRoute), path
            routes.add(("WEBSOCKET", path))
    covered = {(c.method, c.route) for c in MATRIX} | {("WEBSOCKET", WEBSOCKET)}
    assert routes == covered


async def test_generate_continues_only_the_owners_project(as_user: AsUser) -> None:
    alice, bob = as_user("alice"), as_user("bob")
    project_id = await _project_of(alice)
    missing = await bob.post("/api/generate", json={"prompt": "add tags", "project_id": MISSING})
    refused = await bob.post("/api/generate", json={"prompt": "add tags", "project_id": project_id})
    assert refused.status_code == missing.status_code == 404, refused.text
    assert _without_id(refused, project_id) == _without_id(missing, MISSING)
    owner = await alice.post("/api/generate", json={"prompt": "add tags", "project_id": project_id})
    assert owner.status_code == 200, owner.text
    assert owner.json()["version"]["number"] == 2
