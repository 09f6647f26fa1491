"""Local mode's gate: loopback Host names only, same-origin writes and WebSocket handshakes,
loopback binds only, and the browser security headers on apiforge's own responses."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from apiforge.ports import free_port
from apiforge.server.access import parse_host
from apiforge.server.bind_check import bind_refusal
from apiforge.settings import Settings
from tests.cli_runner import cli_command, cli_env, run_cli
from tests.server_process import ServerProcess

MISSING = "0" * 32
OWN = "http://127.0.0.1:{port}"  # the server's own origin, once its port is known


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real server for the module (DBOS allows one app per process, so not in process)."""
    env = {"APIFORGE_ALLOWED_HOSTS": '["apiforge.lan"]'}
    process = ServerProcess(tmp_path_factory.mktemp("local-access"), env=env)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def client(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        yield http


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.0.0.1:8000",
        "localhost:8000",
        "LOCALHOST",
        "localhost.:8000",
        "app.localhost:8000",
        "[::1]:8000",
        "127.0.0.2:9",
        "apiforge.lan",
        "apiforge.lan:8443",
    ],
)
def test_loopback_and_allowed_hosts_are_served(client: httpx.Client, host: str) -> None:
    response = client.get("/api/projects", headers={"Host": host})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "host",
    [
        "attacker.example",
        "attacker.example:8000",
        "localhost.attacker.example",
        "127.0.0.1.nip.io:8000",
        "10.0.0.5:8000",
        "0x7f.1",
        "::1",
        "localhost:80x",
        "",
        "api.apiforge.lan",
    ],
)
def test_other_hosts_are_refused(client: httpx.Client, host: str) -> None:
    for path in ("/api/projects", "/", "/static/js/main.js", "/openapi.json"):
        response = client.get(path, headers={"Host": host})
        assert response.status_code == 403, (path, response.text)
        assert response.json()["error"]["code"] == "host_not_allowed"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"/api/projects/{MISSING}/cancel"),
        ("POST", f"/api/projects/{MISSING}/versions/1/restore"),
        ("DELETE", f"/api/projects/{MISSING}"),
        ("PUT", f"/api/projects/{MISSING}"),
        ("PATCH", f"/api/projects/{MISSING}"),
    ],
)
@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({}, True),  # a CLI, curl or httpx: no Origin
        ({"Origin": OWN}, True),
        ({"Origin": OWN + "/"}, True),
        ({"Origin": OWN, "Sec-Fetch-Site": "same-origin"}, True),
        ({"Sec-Fetch-Site": "none"}, True),  # typed into the address bar
        ({"Origin": "http://evil.example"}, False),
        ({"Origin": "http://127.0.0.1"}, False),  # another local port: same site
        ({"Origin": OWN.replace("http:", "https:")}, False),
        ({"Origin": "null"}, False),  # sandboxed frames, data: URLs, redirects
        ({"Origin": OWN.replace("127.0.0.1", "localhost")}, False),  # another origin
        ({"Origin": OWN + "/x"}, False),  # not an origin
        ({"Sec-Fetch-Site": "cross-site"}, False),
        ({"Sec-Fetch-Site": "same-site"}, False),
        ({"Origin": OWN, "Sec-Fetch-Site": "cross-site"}, False),
    ],
)
def test_writes_need_the_own_origin_or_none(
    client: httpx.Client, method: str, path: str, headers: dict[str, str], allowed: bool
) -> None:
    port = str(client.base_url.port)
    sent = {name: value.replace("{port}", port) for name, value in headers.items()}
    response = client.request(method, path, headers=sent)
    if allowed:
        assert response.status_code in (404, 405), response.text  # reached the routes
    else:
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "cross_origin_refused"


def test_simple_form_posts_of_another_origin_create_nothing(
    client: httpx.Client,
) -> None:
    # What a plain <form> can send without a CORS preflight, with a body that parses as a prompt.
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = client.post(
            "/api/projects",
            content=b'{"prompt": "a todo API"}',
            headers={"Content-Type": content_type, "Origin": "http://evil.example"},
        )
        assert response.status_code == 403, response.text
    assert client.get("/api/projects").json()["projects"] == []


def test_reads_of_another_origin_still_answer(client: httpx.Client) -> None:
    # The browser keeps the body from the other page; refusing would only break links to here.
    response = client.get("/api/projects", headers={"Origin": "http://evil.example"})
    assert response.status_code == 200


def test_own_responses_carry_the_security_headers(client: httpx.Client) -> None:
    for path in ("/", "/static/js/main.js", "/api/projects", f"/api/projects/{MISSING}"):
        headers = (client.get(path)).headers
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy, path
        assert "unsafe" not in policy, path
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
    refused = client.get("/", headers={"Host": "attacker.example"})
    assert refused.headers["X-Frame-Options"] == "DENY"
    docs = (client.get("/api/docs")).headers["Content-Security-Policy"]
    assert "https://cdn.jsdelivr.net" in docs and "frame-ancestors 'none'" in docs


async def test_websocket_handshake_needs_the_own_origin(live_server: ServerProcess) -> None:
    ws_url = live_server.url.replace("http://", "ws://") + f"/api/ws/{MISSING}"
    for origin in ("http://evil.example", f"http://127.0.0.1:{free_port()}", "null"):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(ws_url, origin=Origin(origin)):
                pass
        assert refused.value.response.status_code == 403
        assert b"cross_origin_refused" in refused.value.response.body
    # Its own page's origin, or none (the CLI): the handshake is accepted.
    for own in (Origin(live_server.url), None):
        async with connect(ws_url, origin=own) as ws:
            assert json.loads(await ws.recv())["code"] == "not_found"  # the route answered


async def test_websocket_under_a_foreign_host_is_refused(live_server: ServerProcess) -> None:
    ws_url = live_server.url.replace("http://", "ws://") + f"/api/ws/{MISSING}"
    host = f"attacker.example:{live_server.port}"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url, additional_headers={"Host": host}):
            pass
    assert refused.value.response.status_code == 403


def test_parse_host() -> None:
    assert parse_host("LocalHost.:8000") == ("localhost", 8000)
    assert parse_host("[::1]:8000") == ("::1", 8000)
    assert parse_host("[::1]") == ("::1", None)
    for bad in ("", ":80", "a:b:c", "[::1", "[::1]x", "host:", "host:123456", "host:-1"):
        assert parse_host(bad) is None, bad


def test_only_local_mode_refuses_non_loopback_binds() -> None:
    for host in ("0.0.0.0", "::", "192.168.1.5", "example.org"):
        assert bind_refusal(Settings(host=host)) is not None, host
        assert bind_refusal(Settings(host=host, insecure_no_auth=True)) is None
        assert bind_refusal(Settings(host=host, auth="password")) is None
        assert bind_refusal(Settings(host=host, auth="header")) is None
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.5"):
        assert bind_refusal(Settings(host=host)) is None, host


def test_serve_refuses_a_public_address_in_local_mode(tmp_path: Path) -> None:
    result = run_cli("serve", "--host", "0.0.0.0", data_dir=tmp_path, timeout=60)
    assert result.returncode == 2
    assert "unsafe_bind" in result.stderr and "--insecure-no-auth" in result.stderr
    assert not (tmp_path / "apiforge.sqlite3").exists()


def test_insecure_no_auth_serves_with_a_loud_warning(tmp_path: Path) -> None:
    port = free_port()
    env = {**cli_env(tmp_path), "APIFORGE_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    command = cli_command("serve", "--host", "0.0.0.0", "--insecure-no-auth")
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            assert first.startswith("UNSAFE: serving on 0.0.0.0 with no login"), first
            assert _answers(f"http://127.0.0.1:{port}/api/health", within_s=30)
        finally:
            process.terminate()


def _answers(url: str, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.TransportError:
            time.sleep(0.1)
    return False
