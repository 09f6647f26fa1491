"""``apiforge export`` and ``apiforge diff``: taking a version's code away, and comparing two."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from apiforge.api_models import RouteChanges, VersionDiff
from apiforge.cli import ProjectArgument, ServerOption, _run, console
from apiforge.cli_connect import TokenOption, connect
from apiforge.client import ApiforgeClient
from apiforge.errors import ApiforgeError, InputError
from apiforge.store.status import VersionStatus

_LINE_STYLES = (("+++", "bold"), ("---", "bold"), ("@@", "cyan"), ("+", "green"), ("-", "red"))
_OPERATION_STYLES = {"created": "green", "deleted": "red", "modified": "yellow"}
_ROUTE_MARKS = {"added": ("+", "green"), "removed": ("-", "red"), "changed": ("~", "yellow")}


async def _latest_complete(client: ApiforgeClient, project_id: str) -> int:
    versions = await client.versions(project_id)
    complete = [v.number for v in versions if v.status is VersionStatus.COMPLETE]
    if not complete:
        raise InputError(f"Project {project_id} has no completed version", code="no_version")
    return complete[-1]


async def _export_zip(
    client: ApiforgeClient, project_id: str, number: int | None, target: Path
) -> None:
    chosen = number if number is not None else await _latest_complete(client, project_id)
    content = await client.archive(project_id, chosen)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    console.print(f"wrote v{chosen} of {project_id} to {target} ({len(content)} bytes)")


def _git(args: list[str]) -> None:
    result = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ApiforgeError(f"git {args[0]} failed: {result.stderr.strip()}", code="git_failed")


async def _export_git(client: ApiforgeClient, project_id: str, target: Path) -> None:
    if shutil.which("git") is None:
        raise ApiforgeError("git is not installed; install git to export", code="git_unavailable")
    content = await client.history_bundle(project_id)
    with tempfile.TemporaryDirectory(prefix="apiforge-export-") as scratch:
        bundle = Path(scratch) / "history.bundle"
        bundle.write_bytes(content)
        _git(["clone", "--quiet", str(bundle), str(target)])
    # The remote would point at the deleted temporary bundle.
    _git(["-C", str(target), "remote", "remove", "origin"])
    console.print(f"cloned the history of {project_id} into {target}")


def export(
    project: ProjectArgument,
    version: Annotated[
        int | None, typer.Option("--version", help="Version to zip (default: latest complete)")
    ] = None,
    zip_file: Annotated[
        Path | None, typer.Option("--zip", help="Write the version as a ZIP file here")
    ] = None,
    git_dir: Annotated[
        Path | None, typer.Option("--git", help="Clone the whole history as a git repository here")
    ] = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Take a project's code away: one version as a ZIP, or the whole history as a git repo."""
    if (zip_file is None) == (git_dir is None):
        console.print("[red]invalid_input:[/] give exactly one of --zip FILE or --git DIR")
        raise typer.Exit(2)
    if git_dir is not None and version is not None:
        console.print("[red]invalid_input:[/] --git exports every version; drop --version")
        raise typer.Exit(2)

    async def run() -> int:
        async with connect(server, token) as client:
            project_id = await client.resolve_project_id(project)
            if zip_file is not None:
                await _export_zip(client, project_id, version, zip_file)
            elif git_dir is not None:
                await _export_git(client, project_id, git_dir)
        return 0

    _run(run())


def coloured_diff(unified: str) -> Text:
    text = Text()
    for line in unified.splitlines(keepends=True):
        style = next((s for prefix, s in _LINE_STYLES if line.startswith(prefix)), "")
        text.append(line, style=style)
    return text


def _print_routes(out: Console, routes: RouteChanges | None) -> None:
    if routes is None:
        return
    changes = [*routes.added, *routes.removed, *routes.changed]
    if not changes:
        out.print("routes: unchanged")
        return
    out.print("[bold]routes:[/]")
    for change in changes:
        mark, style = _ROUTE_MARKS[change.change]
        fields = f" ({', '.join(change.fields)})" if change.fields else ""
        out.print(Text(f"  {mark} {change.method} {change.path}{fields}", style=style))


def print_diff(result: VersionDiff) -> None:
    """On a terminal: a coloured diff with a summary. Redirected or piped: stdout carries only
    the patch, byte for byte (``patch -p1`` / ``git apply`` take it), the summary goes to stderr."""
    plain = not console.is_terminal
    notes = Console(stderr=True) if plain else console
    against = result.against
    base = f"v{against}" if against is not None else "an empty project"
    files = result.files
    notes.print(f"[bold]v{result.version_number}[/] against {base}: {len(files)} files")
    for change in files:
        style = _OPERATION_STYLES.get(change.operation, "")
        notes.print(Text(f"{change.operation} {change.path}", style=f"bold {style}"))
        if plain:
            sys.stdout.write(change.unified_diff)
        else:
            # soft_wrap: long lines are left to the terminal, never split with inserted newlines.
            console.print(coloured_diff(change.unified_diff), end="", soft_wrap=True)
    sys.stdout.flush()
    _print_routes(notes, result.routes)


def diff(
    project: ProjectArgument,
    first: Annotated[int, typer.Argument(help="Version (alone: compared with the one before)")],
    second: Annotated[int | None, typer.Argument(help="Compare FIRST → SECOND, like git")] = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Show what changed in a version, or between two versions, file by file."""
    number, against = (first, None) if second is None else (second, first)

    async def run() -> int:
        async with connect(server, token) as client:
            project_id = await client.resolve_project_id(project)
            print_diff(await client.diff(project_id, number, against))
        return 0

    _run(run())


def register(app: typer.Typer) -> None:
    app.command(name="export")(export)
    app.command(name="diff")(diff)
