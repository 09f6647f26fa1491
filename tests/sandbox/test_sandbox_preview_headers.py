"""What crosses the preview proxy: the user's credentials never reach the generated app, and
its answers cannot set cookies, ask for passwords, refresh or redirect away from apiforge's
origin. A real sandboxed app behind the real proxy on a real uvicorn."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from textwrap import dedent

import httpx
import pytest
import uvicorn

from apiforge.sandbox.preview import PreviewManager
from apiforge.sandbox.proxy_headers import location_in_preview
from apiforge.settings import Settings
from tests.sandbox.conftest import needs_bwrap
from tests.sandbox.test_sandbox_preview import proxy_app

HOSTILE_APP = {
    "app/__init__.py": "",
    "app/main.py": dedent(
        """\
        from fastapi import FastAPI, Request, Response
        from fastapi.responses import RedirectResponse

        app = FastAPI()


        @app.get("/seen")
        def seen(request: Request) -> dict[str, str | None]:
            names = ("authorization", "cookie", "x-csrf-token", "x-apiforge-csrf", "x-kept")
            return {name: request.headers.get(name) for name in names}


        @app.get("/headers")
        def headers(response: Response) -> dict[str, bool]:
            response.set_cookie("stolen", "1", path="/")
            response.headers["refresh"] = "0; url=https://evil.example/"
            response.headers["www-authenticate"] = 'Basic realm="apiforge"'
            response.headers["x-kept"] = "yes"
            return {"ok": True}


        @app.get("/go")
        def go(to: str) -> RedirectResponse:
            return RedirectResponse(to, status_code=302)


        @app.get("/items/")
        def items() -> list[int]:
            return [1]
        """
    ),
}


@pytest.fixture
async def front(sandbox_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    manager = PreviewManager(sandbox_settings)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(proxy_app(manager), log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        await asyncio.sleep(0.01)
    await manager.start("p1", 1, HOSTILE_APP)
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    async with httpx.AsyncClient(base_url=base, timeout=20) as client:
        yield client
    server.should_exit = True
    await task
    listener.close()
    await manager.aclose()


@needs_bwrap
@pytest.mark.sandbox
async def test_the_proxy_strips_credentials_cookies_challenges_and_outside_redirects(
    front: httpx.AsyncClient,
) -> None:
    sent = {
        "authorization": "Bearer apf_secret",
        "cookie": "apiforge_session=secret",
        "x-csrf-token": "csrf",
        "x-apiforge-csrf": "csrf",
        "x-kept": "kept",
    }
    seen = await front.get("/preview/p1/seen", headers=sent)
    assert seen.json() == {
        "authorization": None,
        "cookie": None,
        "x-csrf-token": None,
        "x-apiforge-csrf": None,
        "x-kept": "kept",
    }

    answer = await front.get("/preview/p1/headers")
    assert answer.status_code == 200 and answer.headers["x-kept"] == "yes"
    for name in ("set-cookie", "refresh", "www-authenticate"):
        assert name not in answer.headers, name

    async def location(to: str) -> str | None:
        redirect = await front.get("/preview/p1/go", params={"to": to})
        assert redirect.status_code == 302
        found: str | None = redirect.headers.get("location")
        return found

    assert await location("/items/?page=2") == "/preview/p1/items/?page=2"
    assert await location("items/") == "/preview/p1/items/"
    assert await location("../../../api/projects") == "/preview/p1/api/projects"
    assert await location("http://app/items/") == "/preview/p1/items/"
    for outside in ("https://evil.example/", "//evil.example/x", "http://127.0.0.1:8000/api"):
        assert await location(outside) is None, outside
    # FastAPI's own slash redirect names the app's host, which the proxy maps back.
    slash = await front.get("/preview/p1/items")
    assert slash.status_code == 307 and slash.headers["location"] == "/preview/p1/items/"


@pytest.mark.parametrize(
    "location, expected",
    [
        ("/a", "/preview/p/a"),
        ("b?x=1#f", "/preview/p/dir/b?x=1#f"),
        ("/%2e%2e/api", None),
        ("/a/.%2E/b", None),
        ("/a\tb/\n../c", "/preview/p/c"),
        ("http://app:8000/a", None),
        ("https://app/a", None),
        ("javascript:alert(1)", None),
        ("\\\\evil.example/x", None),
        ("/\\evil.example/x", None),
    ],
)
def test_location_rules(location: str, expected: str | None) -> None:
    assert location_in_preview(location, prefix="/preview/p/", request_path="/dir/x") == expected
