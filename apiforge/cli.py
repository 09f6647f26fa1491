"""The ``apiforge`` command line: serve, generate, iterate, projects, versions."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from contextlib import aclosing, asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from apiforge.cli_display import GenerationView, files_table
from apiforge.cli_stop import run_stoppable, stop_generation
from apiforge.client import ApiforgeClient
from apiforge.errors import ApiforgeError
from apiforge.events.types import ErrorEvent, VersionComplete
from apiforge.settings import Settings

app = typer.Typer(help="apiforge — chat an API into being.", no_args_is_help=True)
console = Console()

ServerOption = Annotated[
    str | None, typer.Option("--server", help="URL of a running server (default: embedded)")
]


@asynccontextmanager
async def connect(server: str | None) -> AsyncIterator[ApiforgeClient]:
    if server:
        async with ApiforgeClient(server) as client:
            yield client
        return
    from apiforge.embedded import embedded_server  # slow to import; only embedded runs pay

    async with embedded_server(Settings()) as url, ApiforgeClient(url) as client:
        yield client


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind")] = None,
) -> None:
    """Run the apiforge server."""
    from apiforge.server.app import create_app
    from apiforge.server.runner import ApiforgeServer, server_config

    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = Settings(**overrides)  # type: ignore[arg-type]
    web_app = create_app(settings)
    config = server_config(web_app, settings.host, settings.port, log_level="info")

    def announce(url: str) -> None:
        console.print(f"apiforge is serving at [bold]{url}[/]")

    server = ApiforgeServer(web_app, config, on_started=announce)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a person stops it
        server.run()
    if not server.started:
        raise typer.Exit(3)  # uvicorn's start-up failure code; it has said why


async def _follow(client: ApiforgeClient, project_id: str, number: int, out: Path | None) -> int:
    view = GenerationView()
    final = None
    # Say what writes the code: the offline engine is rule-based, not an AI model.
    console.print(f"[dim]v{number} by the {(await client.health())['provider']}[/]")
    with Live(view.render(), console=console, refresh_per_second=12, transient=True) as live:
        try:
            async with aclosing(client.events(project_id, until_version=number)) as events:
                async for event in events:
                    if event.version_number != number:
                        continue
                    view.apply(event)
                    live.update(view.render())
                    final = event
        except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C or SIGTERM
            seen = final.seq if final is not None else None
            return await stop_generation(client, console, project_id, number, seen)
    console.print(view.stepper())
    if view.prose.strip():
        console.print(view.prose.strip())
    if view.completed:
        console.print(files_table(view.completed))
    for line in view.stages:
        console.print(line)
    return await _report(client, project_id, number, final, out)


async def _report(
    client: ApiforgeClient, project_id: str, number: int, final: object, out: Path | None
) -> int:
    if isinstance(final, ErrorEvent):
        console.print(f"[red]Failed:[/] {final.message}")
        return 1
    if isinstance(final, VersionComplete):
        colour = "green" if final.status == "complete" else "red"
        console.print(
            f"[{colour}]v{number} {final.status}[/] in {final.duration_ms} ms — {final.summary}"
        )
    console.print(f"project: {project_id}")
    if out is not None:
        files = await client.files(project_id, number)
        for path, content in files.items():
            target = out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        console.print(f"wrote {len(files)} files to {out}")
    return 0 if isinstance(final, VersionComplete) and final.status == "complete" else 1


def _run(coro: Coroutine[Any, Any, int]) -> None:
    try:
        code = run_stoppable(coro)
    except ApiforgeError as exc:
        console.print(f"[red]{exc.code}:[/] {exc.message}")
        raise typer.Exit(1) from None
    raise typer.Exit(int(code or 0))


@app.command()
def generate(
    prompt: Annotated[str, typer.Argument(help="What API to build, in plain English")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the final files here")] = None,
    name: Annotated[str | None, typer.Option(help="Project name")] = None,
    server: ServerOption = None,
) -> None:
    """Create a project from a prompt and watch it being generated."""

    async def run() -> int:
        async with connect(server) as client:
            created = await client.create_project(prompt, name)
            project_id = created["project"]["id"]
            return await _follow(client, project_id, created["version"]["number"], out)

    _run(run())


@app.command()
def iterate(
    project: Annotated[str, typer.Argument(help="Project id")],
    prompt: Annotated[str, typer.Argument(help="What to change")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the final files here")] = None,
    server: ServerOption = None,
) -> None:
    """Make the next version of a project from a follow-up prompt."""

    async def run() -> int:
        async with connect(server) as client:
            version = await client.iterate(project, prompt)
            return await _follow(client, project, version["number"], out)

    _run(run())


@app.command()
def projects(server: ServerOption = None) -> None:
    """List projects."""

    async def run() -> int:
        async with connect(server) as client:
            table = Table("id", "name", "latest", "status", "updated")
            for p in await client.projects():
                latest = p.get("latest_version") or {}
                table.add_row(
                    p["id"],
                    p["name"],
                    f"v{latest.get('number', '-')}",
                    str(latest.get("status", "-")),
                    p["updated_at"],
                )
            console.print(table)
        return 0

    _run(run())


@app.command()
def versions(
    project: Annotated[str, typer.Argument(help="Project id")], server: ServerOption = None
) -> None:
    """List a project's versions."""

    async def run() -> int:
        async with connect(server) as client:
            table = Table("version", "status", "files", "prompt", "summary")
            for v in await client.versions(project):
                table.add_row(
                    f"v{v['number']}",
                    v["status"],
                    str(v["files_changed"]),
                    v["prompt"][:60],
                    (v["summary"] or v["error"] or "")[:60],
                )
            console.print(table)
        return 0

    _run(run())


def main() -> None:
    from apiforge.cli_versions import register  # here, not at the top: it imports this module

    register(app)
    app()


if __name__ == "__main__":
    main()
