"""The ``apiforge`` command line: serve, generate, iterate, projects, versions."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from contextlib import aclosing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import httpx
import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.console import Console
from rich.markup import escape

from apiforge.cli_connect import TokenOption, connect
from apiforge.cli_stop import run_stoppable
from apiforge.client import ApiforgeClient
from apiforge.data_dir_claim import DataDirInUse, current_owner, local_url
from apiforge.errors import ApiforgeError
from apiforge.settings import Settings, invalid_settings

if TYPE_CHECKING:
    from apiforge.events.types import Event

app = typer.Typer(help="apiforge — chat an API into being.", no_args_is_help=True)
console = Console()
WILDCARD_HOSTS = ("0.0.0.0", "::")

ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server",
        help="URL of a server (default: the one serving the data dir, else the one at "
        "APIFORGE_HOST:APIFORGE_PORT, else one run inside the command)",
    ),
]
ProjectArgument = Annotated[
    str, typer.Argument(help="Project id, or its first characters if they are unique")
]


def _refuse_served_data_dir(settings: Settings) -> None:
    """Two servers on one data dir would fail each other's generations; say so before starting.
    (The app's own claim is what guarantees it; this only spares the user a traceback.)"""
    owner = current_owner(settings.data_dir)
    if owner is not None:
        refusal = DataDirInUse(settings.data_dir, owner)
        console.print(f"[red]{refusal.code}:[/] {escape(refusal.message)}", soft_wrap=True)
        raise typer.Exit(1)


def _check_bind(settings: Settings) -> None:
    from apiforge.server.bind_check import bind_refusal, exposure_warning

    errors = Console(stderr=True)
    if (refusal := bind_refusal(settings)) is not None:
        errors.print(f"[red]unsafe_bind:[/] {escape(refusal)}", soft_wrap=True)
        raise typer.Exit(2)
    if (warning := exposure_warning(settings)) is not None:
        errors.print(f"[bold red]{escape(warning)}[/]", soft_wrap=True)


def _announce(url: str) -> None:
    bound = urlsplit(url)
    if bound.hostname not in WILDCARD_HOSTS or bound.port is None:
        console.print(f"apiforge is serving at [bold]{url}[/]")
        return
    # http://0.0.0.0:… is no address to open: give one that is, and say what others use.
    console.print(f"apiforge is serving at [bold]{local_url(bound.hostname, bound.port)}[/]")
    console.print(
        f"[dim]and on every address of this machine: from elsewhere, use its name or "
        f"address with port {bound.port}[/]",
        soft_wrap=True,
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind")] = None,
    insecure_no_auth: Annotated[
        bool,
        typer.Option(
            "--insecure-no-auth",
            help="UNSAFE: allow local mode (no login) on a non-loopback address",
        ),
    ] = False,
    role: Annotated[
        str | None,
        typer.Option(help="all (default): run generations too; api: queue them for workers"),
    ] = None,
) -> None:
    """Run the apiforge server."""
    from apiforge.logs import configure_logging
    from apiforge.server.app import create_app
    from apiforge.server.runner import ApiforgeServer, server_config

    if role not in (None, "all", "api"):
        Console(stderr=True).print("[red]--role is all or api[/] (workers: apiforge worker)")
        raise typer.Exit(2)
    given = {"host": host, "port": port, "insecure_no_auth": insecure_no_auth or None, "role": role}
    overrides = {k: v for k, v in given.items() if v is not None}
    settings = Settings(**overrides)  # type: ignore[arg-type]
    _check_bind(settings)
    _refuse_served_data_dir(settings)
    configure_logging(settings)
    web_app = create_app(settings)
    config = server_config(
        web_app, settings.host, settings.port, log_level=settings.log_level, own_logging=False
    )

    server = ApiforgeServer(web_app, config, on_started=_announce)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a person stops it
        server.run()
    if not server.started:
        raise typer.Exit(3)  # uvicorn's start-up failure code; it has said why


@app.command()
def worker() -> None:
    """Run queued generations (enqueued by `apiforge serve --role api`); no HTTP."""
    from apiforge.worker import run_worker

    def announce(executor_id: str) -> None:
        console.print(f"apiforge worker {executor_id} is running generations")

    asyncio.run(run_worker(Settings(), announce))


async def _follow(client: ApiforgeClient, project_id: str, number: int, out: Path | None) -> int:
    # Here, not at the top: the live view pulls in every event model, which only these need.
    from rich.live import Live

    from apiforge.cli_display import GenerationView, files_table
    from apiforge.cli_stop import stop_generation

    view = GenerationView()
    final = None
    # Say what writes the code: the offline engine is rule-based, not an AI model.
    console.print(f"[dim]v{number} by the {(await client.health()).provider}[/]")
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
    client: ApiforgeClient, project_id: str, number: int, final: Event | None, out: Path | None
) -> int:
    from apiforge.events.types import ErrorEvent, VersionComplete
    from apiforge.store.status import VersionStatus

    if isinstance(final, ErrorEvent):
        console.print(f"[red]Failed:[/] {final.message}")
        return 1
    if isinstance(final, VersionComplete):
        colour = "green" if final.status is VersionStatus.COMPLETE else "red"
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
    done = isinstance(final, VersionComplete) and final.status is VersionStatus.COMPLETE
    return 0 if done else 1


def _run(coro: Coroutine[Any, Any, int]) -> None:
    try:
        code = run_stoppable(coro)
    except ApiforgeError as exc:
        console.print(f"[red]{exc.code}:[/] {escape(exc.message)}", soft_wrap=True)
        raise typer.Exit(1) from None
    except httpx.TransportError as exc:
        # A wrong --server or a stopped server: one line saying so, not the client's traceback.
        console.print(f"[red]server_unreachable:[/] {escape(_unreachable(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None
    raise typer.Exit(int(code or 0))


def _unreachable(exc: httpx.TransportError) -> str:
    try:
        where = f" at {exc.request.url.scheme}://{exc.request.url.netloc.decode()}"
    except RuntimeError:  # an error raised before its request was made
        where = ""
    return f"no apiforge server answered{where} ({exc or type(exc).__name__}); is it running?"


@app.command()
def generate(
    prompt: Annotated[str, typer.Argument(help="What API to build, in plain English")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the final files here")] = None,
    name: Annotated[str | None, typer.Option(help="Project name")] = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Create a project from a prompt and watch it being generated."""

    async def run() -> int:
        async with connect(server, token) as client:
            created = await client.create_project(prompt, name)
            return await _follow(client, created.project.id, created.version.number, out)

    _run(run())


@app.command()
def iterate(
    project: ProjectArgument,
    prompt: Annotated[str, typer.Argument(help="What to change")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the final files here")] = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Make the next version of a project from a follow-up prompt."""

    async def run() -> int:
        async with connect(server, token) as client:
            project_id = await client.resolve_project_id(project)
            version = await client.iterate(project_id, prompt)
            return await _follow(client, project_id, version.number, out)

    _run(run())


@app.command()
def projects(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array with stable keys, for scripts")
    ] = False,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """List projects (with full ids)."""
    from apiforge.cli_listing import projects_json, projects_table

    async def run() -> int:
        async with connect(server, token) as client:
            listed = await client.projects()
        if as_json:
            print(projects_json(listed))
        else:
            console.print(projects_table(listed, console.width))
        return 0

    _run(run())


@app.command()
def versions(
    project: ProjectArgument, server: ServerOption = None, token: TokenOption = None
) -> None:
    """List a project's versions."""
    from apiforge.cli_listing import versions_table

    async def run() -> int:
        async with connect(server, token) as client:
            listed = await client.versions(await client.resolve_project_id(project))
        console.print(versions_table(listed))
        return 0

    _run(run())


def main() -> None:
    # Here, not at the top: they import this module.
    from apiforge import cli_accounts, cli_versions

    cli_versions.register(app)
    cli_accounts.register(app)
    try:
        app()
    except (ValidationError, SettingsError) as error:
        # A malformed APIFORGE_ variable: say which and why, not pydantic's traceback.
        if (invalid := invalid_settings(error)) is None:
            raise
        Console(stderr=True).print(
            f"[red]{invalid.code}:[/] {escape(invalid.message)}", soft_wrap=True
        )
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
