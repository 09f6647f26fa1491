"""Deny by default in password mode: every API route but the few public ones needs a principal
and tells an anonymous request 401, while paths and methods no route takes still get the
router's 404/405. Also the first admin, and header mode's trusted proxies."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from apiforge.auth.principal import http_principal
from apiforge.server.app import create_app
from apiforge.settings import Settings
from tests.cli_runner import cli_command, cli_env
from tests.core.accounts_server import ROOT, ROOT_PASSWORD, AccountsServer
from tests.server_process import ServerProcess

# What anyone may ask: the health check (load balancers, the UI before sign-in) and sign-in.
PUBLIC = {("GET", "/api/health"), ("POST", "/api/auth/login")}
ID = "0" * 32


def _api_routes() -> Iterator[tuple[str, str, APIRoute]]:
    for route in iter_route_contexts(create_app(Settings()).routes):
        original = route.original_route
        if isinstance(original, APIRoute) and route.include_in_schema:
            for method in sorted(set(route.methods or ()) - {"HEAD"}):
                yield method, str(route.path), original


def _needs_principal(route: APIRoute) -> bool:
    def walk(dependant: Dependant) -> bool:
        return any(d.call is http_principal or walk(d) for d in dependant.dependencies)

    return walk(route.dependant)


def test_every_api_route_but_the_public_ones_needs_a_principal() -> None:
    seen = set()
    for method, path, route in _api_routes():
        seen.add((method, path))
        assert _needs_principal(route) != ((method, path) in PUBLIC), (method, path)
    assert PUBLIC <= seen


def _concrete(path: str) -> str:
    for name in ("{project_id}", "{token_id}"):
        path = path.replace(name, ID)
    return path.replace("{number}", "1").replace("{path:path}", "app/main.py")


def test_anonymous_requests_get_401_and_unknown_ones_404_or_405(
    user_server: AccountsServer,
) -> None:
    with httpx.Client(base_url=user_server.url, timeout=15) as anonymous:
        for method, path, _route in _api_routes():
            if (method, path) in PUBLIC:
                continue
            answer = anonymous.request(method, _concrete(path), json={})
            assert answer.status_code == 401, (method, path, answer.text)
            assert answer.json()["error"]["code"] == "unauthenticated"
        # Routing decides first: no route, no 401.
        assert anonymous.put("/api/health").status_code == 405
        assert anonymous.put(f"/api/projects/{ID}").status_code == 405
        assert anonymous.get("/api/no-such-thing").status_code == 404
        assert anonymous.get("/api/health").json()["auth"] == "password"
        # The page (it shows the login form) and its assets are public.
        assert anonymous.get("/").status_code == 200
        assert anonymous.get("/static/js/main.js").status_code == 200


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_the_first_admin_is_made_only_when_no_user_exists(data_dir: Path) -> None:
    server = AccountsServer(data_dir)
    server.start()
    try:
        signed_in = server.login(ROOT, ROOT_PASSWORD)
        assert signed_in.json()["user"]["is_admin"] is True
    finally:
        server.stop()
    other = {"APIFORGE_ADMIN_USERNAME": "second", "APIFORGE_ADMIN_PASSWORD": "second-password"}
    again = AccountsServer(data_dir, env=other)
    again.start()
    try:
        assert again.login("second", "second-password").status_code == 401
        assert again.login(ROOT, ROOT_PASSWORD).status_code == 200
    finally:
        again.stop()


def _header_server(data_dir: Path, proxies: str) -> ServerProcess:
    env = {"APIFORGE_AUTH": "header", "APIFORGE_TRUSTED_PROXIES": proxies}
    return ServerProcess(data_dir, env={**env, "APIFORGE_AUTH_HEADER": "X-Remote-User"})


@pytest.fixture(scope="module")
def header_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One header-mode server for the tests that only send requests (each as its own users).
    It trusts 127.0.0.0/31, so 127.0.0.1 is a proxy and 127.0.0.2 is not; uvicorn takes
    X-Forwarded-For from anyone, so only the connection's own peer can tell them apart. Its
    admin, boss, is made on the data dir before it starts."""
    data_dir = tmp_path_factory.mktemp("header-mode") / "data"
    made = subprocess.run(
        cli_command("users", "create", "boss", "--admin", "--password-stdin"),
        env=cli_env(data_dir),
        input="boss-password\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    server = _header_server(data_dir, '["127.0.0.0/31"]')
    server.env["FORWARDED_ALLOW_IPS"] = "*"
    server.start()
    yield server
    server.stop()


def test_header_mode_trusts_only_its_proxies(header_server: ServerProcess, data_dir: Path) -> None:
    me = httpx.get(f"{header_server.url}/api/auth/me", headers={"X-Remote-User": "xena"})
    assert (me.json()["username"], me.json()["via"]) == ("xena", "header")
    assert httpx.get(f"{header_server.url}/api/auth/me").status_code == 401
    _refuses_bad_header_names(header_server)
    with sqlite3.connect(header_server.data_dir / "apiforge.sqlite3") as db:
        users = {name for (name,) in db.execute("SELECT username FROM users")}
    # None of the refused names became a user (the other tests' users share this server).
    assert "xena" in users and not users & set(BAD_HEADER_NAMES)
    elsewhere = _header_server(data_dir, '["10.0.0.0/8"]')
    elsewhere.start()
    try:
        # From an address that is not a trusted proxy, the header is anyone's claim: ignored.
        me = httpx.get(f"{elsewhere.url}/api/auth/me", headers={"X-Remote-User": "xena"})
        assert me.status_code == 401
    finally:
        elsewhere.stop()


BAD_HEADER_NAMES = ("two words", "tab\there", "-dash-first", "x" * 65, "caf\u00e9", "a/b")


def _refuses_bad_header_names(server: ServerProcess) -> None:
    """The proxy's name follows the rule of POST /api/users: anything else is a 401 saying so."""
    for bad in BAD_HEADER_NAMES:
        refused = httpx.get(
            f"{server.url}/api/auth/me", headers={b"X-Remote-User": bad.encode("latin-1")}
        )
        assert refused.status_code == 401, (bad, refused.text)
        error = refused.json()["error"]
        assert error["code"] == "bad_user_header", (bad, error)
        assert "X-Remote-User header sent by the proxy is not a valid user name" in error["message"]


def _me_from(server: ServerProcess, source: str, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=15) as client:
        return client.get(f"{server.url}/api/auth/me", headers=headers)


def test_header_mode_checks_the_proxy_not_the_address_it_forwards_for(
    header_server: ServerProcess,
) -> None:
    # The proxy (127.0.0.1) relays for a client elsewhere; a client at 127.0.0.2 claims to be
    # the proxy in X-Forwarded-For, which uvicorn believes: the peer address is what counts.
    relayed = {"X-Remote-User": "yuri", "X-Forwarded-For": "203.0.113.7"}
    me = _me_from(header_server, "127.0.0.1", relayed)
    assert me.status_code == 200, me.text
    assert (me.json()["username"], me.json()["via"]) == ("yuri", "header")
    spoofed = {"X-Remote-User": "yuri", "X-Forwarded-For": "127.0.0.1"}
    refused = _me_from(header_server, "127.0.0.2", spoofed)
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"]["code"] == "unauthenticated"


def test_header_mode_ignores_the_header_of_a_disabled_user(header_server: ServerProcess) -> None:
    url = header_server.url
    as_boss, as_zoe = {"X-Remote-User": "boss"}, {"X-Remote-User": "zoe"}
    zoe = httpx.get(f"{url}/api/auth/me", headers=as_zoe, timeout=15).json()
    for disabled, status in ((True, 401), (False, 200)):
        patched = httpx.patch(
            f"{url}/api/users/{zoe['id']}",
            json={"disabled": disabled},
            headers=as_boss,
            timeout=15,
        )
        assert patched.status_code == 200 and patched.json()["disabled"] is disabled
        me = httpx.get(f"{url}/api/auth/me", headers=as_zoe, timeout=15)
        assert me.status_code == status, me.text


def test_header_mode_disabling_a_user_ends_their_open_stream(header_server: ServerProcess) -> None:
    """A proxy-authenticated stream has no session or token to revoke: disabling its user must
    still end it (the stream guard checks the user too), and the proxy's header then gets 401."""
    url = header_server.url
    as_boss, as_una = {"X-Remote-User": "boss"}, {"X-Remote-User": "una"}
    made = httpx.post(f"{url}/api/projects", json={"prompt": "a todo API"}, headers=as_una)
    assert made.status_code == 201, made.text
    stream_url = f"{url}/api/stream/{made.json()['project']['id']}"
    una = httpx.get(f"{url}/api/auth/me", headers=as_una, timeout=15).json()
    # The read timeout is the bound: a stream left open would only send a ping after 15 s.
    with httpx.stream("GET", stream_url, headers=as_una, timeout=10) as stream:
        chunks = stream.iter_bytes()
        assert next(chunks)
        patched = httpx.patch(
            f"{url}/api/users/{una['id']}", json={"disabled": True}, headers=as_boss, timeout=15
        )
        assert patched.status_code == 200, patched.text
        for _ in chunks:
            pass  # the rest of the replay, then the end
    assert httpx.get(stream_url, headers=as_una, timeout=15).status_code == 401


def test_header_mode_refuses_writes_a_page_of_another_origin_made(
    header_server: ServerProcess,
) -> None:
    """The proxy signs in whatever the browser sends it, a cross-site form's request included
    (the proxy's own cookie, basic auth): with no CSRF token in header mode, a write must come
    from the server's own origin, as in local mode."""
    as_ida = {"X-Remote-User": "ida"}
    body = {"prompt": "a todo list API"}
    server = header_server
    url = f"{server.url}/api/projects"
    for foreign in (
        {"Origin": "http://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": server.url, "Sec-Fetch-Site": "same-site"},
    ):
        refused = httpx.post(url, json=body, headers={**as_ida, **foreign}, timeout=15)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "cross_origin_refused"
    assert httpx.get(url, headers=as_ida, timeout=15).json()["projects"] == []
    # The server's own page, and clients that send no Origin (the CLI, scripts), still write.
    for own in ({"Origin": server.url, "Sec-Fetch-Site": "same-origin"}, {}):
        made = httpx.post(url, json=body, headers={**as_ida, **own}, timeout=15)
        assert made.status_code == 201, made.text
