"""Live previews through the reverse proxy: real uvicorn on loopback, real sandboxed apps.

Also the progressive preview: it boots once the entry module and what it imports have landed,
restarts with each later file, and a file that breaks the boot leaves the last working app
serving while ``preview:error`` says why."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from textwrap import dedent

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from apiforge.errors import NotFoundError, ValidationFailed
from apiforge.events.types import Event, PreviewError, PreviewReady
from apiforge.generation.plumbing.partial_preview import partial_preview
from apiforge.sandbox.preview import PartialServing, PreviewManager, PreviewsClosed
from apiforge.sandbox.proxy import proxy_request
from apiforge.settings import Settings
from tests.sandbox.conftest import needs_bwrap, sandbox_pids, wait_no_sandbox_pids

pytestmark = [pytest.mark.sandbox, needs_bwrap]

PREVIEW_APP = {
    "app/__init__.py": "",
    "app/main.py": dedent(
        """\
        import asyncio

        from fastapi import FastAPI, Request, Response
        from fastapi.responses import StreamingResponse

        app = FastAPI()


        @app.get("/hello")
        def hello(request: Request) -> dict[str, object]:
            return {"hello": "world", "cookie": request.headers.get("cookie")}


        @app.get("/ticks")
        async def ticks() -> StreamingResponse:
            async def events():
                for index in range(4):
                    yield f"data: {index}\\n\\n"
                    await asyncio.sleep(0.3)

            return StreamingResponse(events(), media_type="text/event-stream")


        @app.get("/cookie")
        def cookie(response: Response) -> dict[str, bool]:
            response.set_cookie("stolen", "1", path="/")
            return {"ok": True}


        @app.post("/echo")
        async def echo(request: Request) -> dict[str, int]:
            return {"length": len(await request.body())}
        """
    ),
}


def proxy_app(manager: PreviewManager) -> FastAPI:
    app = FastAPI()

    @app.api_route("/preview/{project_id}/{path:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def preview(project_id: str, path: str, request: Request) -> Response:
        try:
            return await proxy_request(manager, project_id, request, path)
        except NotFoundError as error:
            return JSONResponse({"detail": error.message}, status_code=404)

    return app


@pytest.fixture
async def manager(sandbox_settings: Settings) -> AsyncIterator[PreviewManager]:
    previews = PreviewManager(sandbox_settings)
    yield previews
    await previews.aclose()


@pytest.fixture
async def front(manager: PreviewManager) -> AsyncIterator[httpx.AsyncClient]:
    """apiforge's side: a real uvicorn on a loopback port serving the proxy route."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    config = uvicorn.Config(proxy_app(manager), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        await asyncio.sleep(0.01)
    port = listener.getsockname()[1]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as client:
        yield client
    server.should_exit = True
    await task
    listener.close()


async def test_preview_answers_streams_and_is_fenced(
    manager: PreviewManager, front: httpx.AsyncClient
) -> None:
    url = await manager.start("p1", 1, PREVIEW_APP)
    assert url == "/preview/p1/"

    hello = await front.get("/preview/p1/hello", headers={"cookie": "apiforge_session=secret"})
    assert hello.status_code == 200
    assert hello.json() == {"hello": "world", "cookie": None}
    assert hello.headers["content-security-policy"].startswith("sandbox")

    cookie = await front.get("/preview/p1/cookie")
    assert cookie.status_code == 200 and "set-cookie" not in cookie.headers

    echo = await front.post("/preview/p1/echo", content=b"x" * 100_000)
    assert echo.json() == {"length": 100_000}

    arrivals: list[float] = []
    started = time.monotonic()
    async with front.stream("GET", "/preview/p1/ticks") as stream:
        async for chunk in stream.aiter_text():
            arrivals.extend(time.monotonic() - started for _ in range(chunk.count("data:")))
    assert len(arrivals) == 4
    assert arrivals[-1] - arrivals[0] > 0.6  # chunks arrived as produced, not all at the end

    await manager.stop("p1")
    assert (await front.get("/preview/p1/hello")).status_code == 404


async def test_proxy_reaches_nothing_but_the_preview_app(
    manager: PreviewManager, front: httpx.AsyncClient, tmp_path: Path
) -> None:
    hits: list[str] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hits.append("hit")
        writer.close()

    bystander = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = bystander.sockets[0].getsockname()[1]
    await manager.start("p1", 1, PREVIEW_APP)
    async with bystander:
        for path in (
            f"//127.0.0.1:{port}/secret",
            f"http://127.0.0.1:{port}/secret",
            "..%2F..%2Fapi%2Fprojects",
            f"@127.0.0.1:{port}/x",
        ):
            answer = await front.get(f"/preview/p1/{path}")
            assert answer.status_code == 404, path
            assert answer.json() == {"detail": "Not Found"}, path  # the preview app's own 404
        other = await front.get("/preview/p2/hello")
        assert other.status_code == 404 and "No preview" in other.json()["detail"]
    assert hits == []


async def test_socket_swapped_for_a_symlink_is_refused(
    manager: PreviewManager, tmp_path: Path
) -> None:
    host_socket = tmp_path / "host.sock"
    hits: list[str] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hits.append("hit")
        writer.close()

    target = dedent(
        f"""\
        import os, time
        os.symlink({str(host_socket)!r}, "/run/sbx/app.sock")
        time.sleep(3600)
        from fastapi import FastAPI
        app = FastAPI()
        """
    )
    server = await asyncio.start_unix_server(on_connect, path=str(host_socket))
    async with server:
        with pytest.raises(ValidationFailed, match="not a socket"):
            await manager.start("p1", 1, {"app/__init__.py": "", "app/main.py": target})
    assert hits == [] and manager.running() == {}


async def test_previews_are_replaced_bounded_and_stop_when_idle(
    sandbox_settings: Settings,
) -> None:
    settings = sandbox_settings.model_copy(update={"preview_max": 1, "preview_idle_s": 0.5})
    manager = PreviewManager(settings)
    try:
        await manager.start("p1", 1, PREVIEW_APP)
        await manager.start("p1", 2, PREVIEW_APP)
        assert manager.running() == {"p1": 2}
        await manager.start("p2", 1, PREVIEW_APP)
        assert manager.running() == {"p2": 1}
        deadline = time.monotonic() + 5
        while manager.running() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert manager.running() == {}
        assert wait_no_sandbox_pids() == []
    finally:
        await manager.aclose()


async def test_ensure_reuses_a_running_version_and_nothing_starts_after_close(
    manager: PreviewManager,
) -> None:
    assert await manager.ensure("p1", 1, PREVIEW_APP) == ("/preview/p1/", True)
    process = manager.acquire("p1").app.process
    assert await manager.ensure("p1", 1, PREVIEW_APP) == ("/preview/p1/", False)
    assert manager.acquire("p1").app.process is process  # the same app, not a reboot
    assert manager.serving("p1") == 1 and manager.starting("p1") is None
    assert await manager.ensure("p1", 2, PREVIEW_APP) == ("/preview/p1/", True)
    assert manager.serving("p1") == 2

    # A start already queued when the shutdown begins ends before it; none starts after.
    queued = asyncio.create_task(manager.ensure("p2", 1, PREVIEW_APP))
    await asyncio.sleep(0)
    await manager.aclose()
    assert queued.done() and manager.running() == {}
    with pytest.raises(ValidationFailed) as refused:
        await manager.ensure("p3", 1, PREVIEW_APP)
    assert refused.value.code == "preview_closed"
    assert wait_no_sandbox_pids() == []


# Its import never ends: the app never serves, and only the boot timeout (20 s here, then
# preview_failed) or refuse_starts (at once, preview_closed) ends its start.
NEVER_BOOTS = {
    "app/__init__.py": "",
    "app/main.py": "import time\nfrom fastapi import FastAPI\n\ntime.sleep(600)\napp = FastAPI()\n",
}


async def test_refused_starts_give_up_a_boot_under_way_and_those_queued_behind_it(
    manager: PreviewManager, sandbox_settings: Settings
) -> None:
    """The server's stop refuses starts before it waits for a generation in its last step,
    which starts its version's preview: that boot must not hold the stop up (exit time)."""
    booting = asyncio.create_task(manager.start("p1", 1, NEVER_BOOTS))
    queued = asyncio.create_task(manager.start("p2", 1, PREVIEW_APP))
    # Until p1's app runs: its slot taken, and (as root, with a uid per slot) its process seen.
    while manager.slots.available == sandbox_settings.preview_max or (
        os.geteuid() == 0 and not sandbox_pids()
    ):
        await asyncio.sleep(0.05)
    manager.refuse_starts()
    await asyncio.sleep(0)  # p1's deadline has fired; its app is not killed yet
    manager.refuse_starts()  # again, as aclose does
    for start in (booting, queued):
        with pytest.raises(PreviewsClosed):
            await start
    assert manager.running() == {} and manager.starting("p1") is None
    assert manager.slots.available == sandbox_settings.preview_max
    assert wait_no_sandbox_pids() == []


MAIN = dedent(
    """\
    from fastapi import FastAPI

    from app.routes import router

    app = FastAPI()
    app.include_router(router)
    """
)


def routes(*names: str, broken: str = "") -> str:
    lines = ["from fastapi import APIRouter", "", "router = APIRouter()", broken]
    for name in names:
        lines += [f"@router.get('/{name}')", f"def {name}() -> dict[str, str]:"]
        lines += [f"    return {{'route': '{name}'}}", ""]
    return "\n".join(lines)


class Recorder:
    """Stands where the project's EventLog does; keeps what the preview sent, in order."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.arrived = asyncio.Event()

    async def append(self, event: Event) -> object:
        self.events.append(event)
        self.arrived.set()
        return None

    async def next_event(self) -> Event:
        count = len(self.events)
        while len(self.events) == count:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), 60)
        return self.events[-1]


async def test_a_file_that_breaks_the_boot_keeps_the_last_preview(
    manager: PreviewManager, front: httpx.AsyncClient
) -> None:
    sink = Recorder()
    changes: dict[str, str | None] = {}
    async with partial_preview(manager, sink, ("p1", 2), {}, changes) as partial:
        assert partial is not None
        changes.update({"app/__init__.py": "", "app/main.py": MAIN})
        partial.file_landed()  # app/routes.py, which main imports, has not landed: no boot
        await asyncio.sleep(0.4)
        assert sink.events == [] and manager.running() == {}

        changes["app/routes.py"] = routes("hello")
        partial.file_landed()
        ready = await sink.next_event()
        assert isinstance(ready, PreviewReady) and ready.partial and ready.url == "/preview/p1/"
        assert (await front.get("/preview/p1/hello")).json() == {"route": "hello"}

        changes["app/routes.py"] = routes("hello", "bye", broken="raise RuntimeError('no db')")
        partial.file_landed()
        error = await sink.next_event()
        assert isinstance(error, PreviewError) and "no db" in error.reason, error
        assert (await front.get("/preview/p1/hello")).json() == {"route": "hello"}
        assert manager.running() == {"p1": 2}

        changes["app/routes.py"] = routes("hello", "bye")
        partial.file_landed()
        assert isinstance(await sink.next_event(), PreviewReady)
        assert (await front.get("/preview/p1/bye")).json() == {"route": "bye"}
    assert manager.partial("p1")
    await manager.stop_partial("p1", 1)  # another version's: left running
    assert manager.running() == {"p1": 2}
    await manager.stop_partial("p1", 2)  # the generation failed or was cancelled
    assert manager.running() == {}


async def test_a_partial_preview_remembers_the_preview_it_replaced(
    manager: PreviewManager,
) -> None:
    await manager.start("p1", 1, PREVIEW_APP)
    assert manager.partial_serving("p1", 1) is None  # validated, not partial
    await manager.start("p1", 2, PREVIEW_APP, partial=True)
    await manager.start("p1", 2, PREVIEW_APP, partial=True)  # a later file restarted it
    # Still version 1's, not the partial one it restarted from: what a failed v2 hands back to.
    assert manager.partial_serving("p1", 2) == PartialServing(replaced=1)
    assert manager.partial_serving("p1", 3) is None
    await manager.start("p1", 1, PREVIEW_APP)  # handed back
    assert manager.partial_serving("p1", 2) is None
    await manager.stop("p1")
    await manager.start("p2", 1, PREVIEW_APP, partial=True, replacing=4)  # 4 runs elsewhere
    assert manager.partial_serving("p2", 1) == PartialServing(replaced=4)
