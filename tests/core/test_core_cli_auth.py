"""Accounts from the command line: ``users create|list`` on the data dir, ``login`` keeping a
token per server (mode 0600, under XDG_CONFIG_HOME), and every later command sending it."""

from __future__ import annotations

import json
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli_runner import cli_command, cli_env
from tests.server_process import ServerProcess

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """``cli(*args, stdin="")``: the CLI on its own data dir and config dir, password mode."""

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        extra = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "APIFORGE_AUTH": "password"}
        env = cli_env(tmp_path / "data", extra)
        return subprocess.run(
            cli_command(*args), env=env, input=stdin, capture_output=True, text=True, timeout=120
        )

    return run


@pytest.fixture
def server(cli: Cli, tmp_path: Path) -> Iterator[ServerProcess]:
    made = cli("users", "create", "ada", "--admin", "--password-stdin", stdin="ada-password\n")
    assert made.returncode == 0 and "created admin user ada" in made.stdout, made.stdout
    served = ServerProcess(tmp_path / "data", env={"APIFORGE_AUTH": "password"})
    served.start()
    yield served
    served.stop()


def test_users_are_made_and_listed_on_the_data_dir(cli: Cli) -> None:
    made = cli("users", "create", "ada", "--admin", "--password-stdin", stdin="ada-password\n")
    assert made.returncode == 0 and "created admin user ada" in made.stdout, made.stdout
    again = cli("users", "create", "ada", "--password-stdin", stdin="ada-password\n")
    assert again.returncode == 1 and "user_exists" in again.stdout
    short = cli("users", "create", "bo", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "invalid_input" in short.stdout
    listed = cli("users", "list").stdout
    assert "ada" in listed and "bo" not in listed.split()


def test_login_keeps_a_token_that_later_commands_send(
    cli: Cli, server: ServerProcess, tmp_path: Path
) -> None:
    at = ("--server", server.url)
    refused = cli("projects", *at)
    assert refused.returncode == 1 and "unauthenticated" in refused.stdout
    login = ("login", *at, "--username", "ada", "--password-stdin")
    wrong = cli(*login, stdin="nope\n")
    assert wrong.returncode == 1 and "bad_credentials" in wrong.stdout
    assert cli(*login, stdin="ada-password\n").returncode == 0
    stored = tmp_path / "config" / "apiforge" / "tokens.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert json.loads(stored.read_text())[server.url].startswith("apf_")
    projects = cli("projects", "--json", *at)
    assert projects.returncode == 0 and json.loads(projects.stdout) == [], projects.stdout


def test_tokens_are_made_listed_and_revoked(cli: Cli, server: ServerProcess) -> None:
    at = ("--server", server.url)
    login = cli("login", *at, "--username", "ada", "--password-stdin", stdin="ada-password\n")
    assert login.returncode == 0, login.stdout
    made = cli("tokens", "create", "ci", *at)
    token = made.stdout.strip()
    assert made.returncode == 0 and token.startswith("apf_"), made.stdout
    listed = cli("tokens", "list", *at).stdout
    assert " ci " in listed and token not in listed
    # --token is sent instead of the stored one.
    assert cli("projects", *at, "--token", token).returncode == 0
    bad = cli("projects", *at, "--token", "apf_nothing")
    assert bad.returncode == 1 and "unauthenticated" in bad.stdout
    token_id = next(line.split()[1] for line in listed.splitlines() if " ci " in line)
    assert cli("tokens", "revoke", token_id, *at).returncode == 0
    after = cli("projects", *at, "--token", token)
    assert after.returncode == 1 and "unauthenticated" in after.stdout


def test_set_password_ends_the_sessions_and_replaces_the_password(
    cli: Cli, server: ServerProcess
) -> None:
    def login(password: str) -> httpx.Response:
        body = {"username": "ada", "password": password}
        return httpx.post(f"{server.url}/api/auth/login", json=body, timeout=15)

    signed_in = login("ada-password")
    assert signed_in.status_code == 200, signed_in.text
    short = cli("users", "set-password", "ada", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "invalid_input" in short.stdout
    nobody = cli("users", "set-password", "zed", "--password-stdin", stdin="zed-password\n")
    assert nobody.returncode == 1 and "not_found" in nobody.stdout
    changed = cli("users", "set-password", "ada", "--password-stdin", stdin="new-password-2\n")
    assert changed.returncode == 0 and "new password set for ada" in changed.stdout
    me = httpx.get(f"{server.url}/api/auth/me", cookies=signed_in.cookies, timeout=15)
    assert me.status_code == 401
    assert login("ada-password").status_code == 401
    assert login("new-password-2").status_code == 200


def test_no_terminal_for_the_password_says_to_pipe_it(cli: Cli) -> None:
    # stdin is a pipe here: without --password-stdin there is nobody to ask.
    login = ("login", "--server", "http://127.0.0.1:9", "--username", "bob")
    for args in (("users", "create", "bob"), login):
        refused = cli(*args)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "--password-stdin" in refused.stdout and "Aborted" not in refused.stdout
    assert "bob" not in cli("users", "list").stdout.split()


def test_users_create_names_the_data_dir(cli: Cli, tmp_path: Path) -> None:
    made = cli("users", "create", "bob", "--password-stdin", stdin="bob-password\n")
    assert made.returncode == 0, made.stdout
    assert f"created user bob in {tmp_path / 'data'}" in " ".join(made.stdout.split())


def test_a_refused_token_says_how_to_sign_in(
    cli: Cli, server: ServerProcess, tmp_path: Path
) -> None:
    at = ("--server", server.url)
    anonymous = cli("projects", *at)
    assert anonymous.returncode == 1, anonymous.stdout
    said = " ".join(anonymous.stdout.split())
    assert f"No token for {server.url}" in said and f"apiforge login --server {server.url}" in said
    login = cli("login", *at, "--username", "ada", "--password-stdin", stdin="ada-password\n")
    assert login.returncode == 0, login.stdout
    narrow = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "COLUMNS": "50"}
    listed = subprocess.run(
        cli_command("tokens", "list", *at),
        env=cli_env(tmp_path / "data", narrow),
        capture_output=True,
        text=True,
        timeout=120,
    )
    # The whole id, even on a narrow terminal: it is what `tokens revoke` takes.
    token_id = next(word for word in listed.stdout.split() if len(word) == 32)
    assert cli("tokens", "revoke", token_id, *at).returncode == 0
    revoked = cli("projects", *at)
    assert revoked.returncode == 1 and "unauthenticated" in revoked.stdout
    assert f"The token sent to {server.url} was refused" in " ".join(revoked.stdout.split())
