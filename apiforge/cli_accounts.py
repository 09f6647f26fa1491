"""Accounts on the command line: ``apiforge users`` (on the data dir, like the embedded server),
``apiforge login`` and ``apiforge tokens`` (through a server's API)."""

from __future__ import annotations

import socket
import sys
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.table import Table

from apiforge.cli import ServerOption, _run, console
from apiforge.cli_connect import TokenOption, connect
from apiforge.cli_listing import tokens_table
from apiforge.cli_tokens import store_token
from apiforge.client import ApiforgeClient
from apiforge.errors import InputError
from apiforge.settings import Settings

M = TypeVar("M", bound=BaseModel)
users_app = typer.Typer(help="Accounts of a password-mode data dir.", no_args_is_help=True)
tokens_app = typer.Typer(help="Your personal API tokens on a server.", no_args_is_help=True)


async def _accounts_of_data_dir() -> Any:
    from apiforge.auth.service import Accounts
    from apiforge.store.db import Database

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    # At head already when a server runs on it; a new data dir gets its schema.
    await db.migrate()
    return Accounts(settings, db)


def _valid(model: type[M], fields: dict[str, Any]) -> M:
    try:
        return model.model_validate(fields)
    except ValidationError as invalid:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in invalid.errors())
        raise InputError(problems) from None


def _read_password(from_stdin: bool, *, confirm: bool = True) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        # typer would print "Aborted." and nothing else; say how to give it instead.
        console.print(
            "[red]invalid_input:[/] no terminal to ask the password on: "
            "pipe it in and pass --password-stdin",
            soft_wrap=True,
        )
        raise typer.Exit(1)
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    return password


@users_app.command("create")
def users_create(
    name: Annotated[str, typer.Argument(help="The user's name")],
    admin: Annotated[bool, typer.Option("--admin", help="May manage users")] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin's first line")
    ] = False,
) -> None:
    """Create a user on the data dir (APIFORGE_DATA_DIR)."""
    from apiforge.api_models_auth import CreateUserBody

    password = _read_password(password_stdin)

    async def run() -> int:
        fields = {"username": name, "password": password, "admin": admin}
        body = _valid(CreateUserBody, fields)  # the same rules as POST /api/users
        accounts = await _accounts_of_data_dir()
        try:
            user = await accounts.create_user(body.username, body.password, admin=body.admin)
        finally:
            await accounts.aclose()
            await accounts.db.close()
        # Users live in the data dir: one other than the server's makes an account nobody
        # can sign in with, so say which.
        kind = "admin user" if user.is_admin else "user"
        console.print(f"created {kind} {user.username} in {Settings().data_dir}", soft_wrap=True)
        return 0

    _run(run())


@users_app.command("list")
def users_list() -> None:
    """List the users of the data dir."""
    from apiforge.auth import accounts as acc

    async def run() -> int:
        accounts = await _accounts_of_data_dir()
        try:
            async with accounts.db.read() as session:
                users = await acc.list_users(session)
        finally:
            await accounts.aclose()
            await accounts.db.close()
        table = Table("user", "admin", "disabled", "created")
        for user in users:
            flags = ("yes" if user.is_admin else "", "yes" if user.disabled else "")
            table.add_row(user.username, *flags, str(user.created_at))
        console.print(table)
        return 0

    _run(run())


@users_app.command("set-password")
def users_set_password(
    name: Annotated[str, typer.Argument(help="The user's name")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin's first line")
    ] = False,
) -> None:
    """Give a user of the data dir a new password; their browser sessions end."""
    from apiforge.api_models_auth import PasswordBody

    password = _read_password(password_stdin)

    async def run() -> int:
        body = _valid(PasswordBody, {"password": password})
        accounts = await _accounts_of_data_dir()
        try:
            user = await accounts.set_password(name, body.password)
        finally:
            await accounts.aclose()
            await accounts.db.close()
        where = Settings().data_dir
        console.print(f"new password set for {user.username} in {where}", soft_wrap=True)
        return 0

    _run(run())


def login(
    server: Annotated[str, typer.Option("--server", help="URL of the server")],
    username: Annotated[str | None, typer.Option(help="Asked when not given")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin's first line")
    ] = False,
) -> None:
    """Sign in to a server and keep an API token for it (used by every later command)."""
    name = username or typer.prompt("Username")
    password = _read_password(password_stdin, confirm=False)

    async def run() -> int:
        async with ApiforgeClient(server) as client:
            await client.login(name, password)
            made = await client.create_token(f"cli@{socket.gethostname()}")
            # The token is what later commands use; the session was only the way to get it.
            await client.logout()
        path = store_token(server, made.token)
        console.print(f"signed in as {name}; token kept in {path}")
        return 0

    _run(run())


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="What the token is for")],
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Create a token; it is printed once."""

    async def run() -> int:
        async with connect(server, token) as client:
            made = await client.create_token(name)
        print(made.token)
        return 0

    _run(run())


@tokens_app.command("list")
def tokens_list(server: ServerOption = None, token: TokenOption = None) -> None:
    """List your tokens (never their secrets)."""

    async def run() -> int:
        async with connect(server, token) as client:
            listed = await client.tokens()
        table = tokens_table(listed)
        console.print(table)
        return 0

    _run(run())


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (from tokens list)")],
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Revoke a token: it stops working at once."""

    async def run() -> int:
        async with connect(server, token) as client:
            await client.revoke_token(token_id)
        console.print(f"revoked {token_id}")
        return 0

    _run(run())


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    app.command(name="login")(login)
