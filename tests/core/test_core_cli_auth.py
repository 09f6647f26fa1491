"""Accounts from the command line: ``users create|list`` on the data dir, ``login`` keeping a
token per server (mode 0600, under XDG_CONFIG_HOME), and every later command sending it."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

from tests.cli_runner import cli_command, cli_env
from tests.server_process import ServerProcess


def _cli(
    *args: str, data_dir: Path, config: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = cli_env(data_dir, {"XDG_CONFIG_HOME": str(config), "APIFORGE_AUTH": "password"})
    return subprocess.run(
        cli_command(*args), env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_users_login_and_tokens(tmp_path: Path) -> None:
    data_dir, config = tmp_path / "data", tmp_path / "config"
    made = _cli(
        "users",
        "create",
        "ada",
        "--admin",
        "--password-stdin",
        data_dir=data_dir,
        config=config,
        stdin="ada-password\n",
    )
    assert made.returncode == 0 and "created admin user ada" in made.stdout, (
        made.stdout + made.stderr
    )
    short = _cli(
        "users",
        "create",
        "bo",
        "--password-stdin",
        data_dir=data_dir,
        config=config,
        stdin="short\n",
    )
    assert short.returncode == 1 and "invalid_input" in short.stdout
    listed = _cli("users", "list", data_dir=data_dir, config=config)
    assert "ada" in listed.stdout and "bo" not in listed.stdout.split()

    server = ServerProcess(data_dir, env={"APIFORGE_AUTH": "password"})
    server.start()
    try:
        refused = _cli("projects", "--server", server.url, data_dir=data_dir, config=config)
        assert refused.returncode == 1 and "unauthenticated" in refused.stdout
        wrong = _cli(
            "login",
            "--server",
            server.url,
            "--username",
            "ada",
            "--password-stdin",
            data_dir=data_dir,
            config=config,
            stdin="nope\n",
        )
        assert wrong.returncode == 1 and "bad_credentials" in wrong.stdout
        login = _cli(
            "login",
            "--server",
            server.url,
            "--username",
            "ada",
            "--password-stdin",
            data_dir=data_dir,
            config=config,
            stdin="ada-password\n",
        )
        assert login.returncode == 0, login.stdout + login.stderr
        stored = config / "apiforge" / "tokens.json"
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600
        token = json.loads(stored.read_text())[server.url]
        assert token.startswith("apf_")
        # Later commands send the stored token.
        projects = _cli(
            "projects", "--json", "--server", server.url, data_dir=data_dir, config=config
        )
        assert projects.returncode == 0 and json.loads(projects.stdout) == [], projects.stdout
        extra = _cli(
            "tokens", "create", "ci", "--server", server.url, data_dir=data_dir, config=config
        )
        assert extra.returncode == 0 and extra.stdout.strip().startswith("apf_")
        tokens = _cli("tokens", "list", "--server", server.url, data_dir=data_dir, config=config)
        assert "ci" in tokens.stdout and extra.stdout.strip() not in tokens.stdout
        # --token wins over the stored one.
        given = _cli(
            "--token",
            extra.stdout.strip(),
            "projects",
            "--server",
            server.url,
            data_dir=data_dir,
            config=config,
        )
        assert given.returncode == 0
        bad = _cli(
            "--token",
            "apf_nothing",
            "projects",
            "--server",
            server.url,
            data_dir=data_dir,
            config=config,
        )
        assert bad.returncode == 1 and "unauthenticated" in bad.stdout
        token_id = next(line.split()[1] for line in tokens.stdout.splitlines() if " ci " in line)
        revoked = _cli(
            "tokens", "revoke", token_id, "--server", server.url, data_dir=data_dir, config=config
        )
        assert revoked.returncode == 0, revoked.stdout
        after = _cli(
            "--token",
            extra.stdout.strip(),
            "projects",
            "--server",
            server.url,
            data_dir=data_dir,
            config=config,
        )
        assert after.returncode == 1 and "unauthenticated" in after.stdout
    finally:
        server.stop()
