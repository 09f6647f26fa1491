"""A real apiforge server in password mode, and real sign-ins of the users a test names.

The server starts with a first admin (``APIFORGE_ADMIN_USERNAME``/``PASSWORD``), which creates
each user a test names through ``POST /api/users`` with its own API token; the user then signs
in with ``POST /api/auth/login`` and acts with the session cookie and its CSRF token, as the
browser does. Users named ``admin…`` are admins: they must not see other users' projects either.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.server_process import ServerProcess

ROOT, ROOT_PASSWORD = "root", "root-password-1"


def password_of(name: str) -> str:
    return f"{name}-password-1"


class AccountsServer(ServerProcess):
    """A ServerProcess in password mode (unless ``env`` says otherwise) with a first admin."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        accounts = {
            "APIFORGE_AUTH": "password",
            "APIFORGE_ADMIN_USERNAME": ROOT,
            "APIFORGE_ADMIN_PASSWORD": ROOT_PASSWORD,
        }
        super().__init__(data_dir, env={**accounts, **(env or {})})
        self.signed_in: dict[str, dict[str, str]] = {}
        self.user_ids: dict[str, str] = {}
        self._root_token: str | None = None

    def login(self, name: str, password: str) -> httpx.Response:
        body = {"username": name, "password": password}
        return httpx.post(f"{self.url}/api/auth/login", json=body, timeout=15)

    def root_token(self) -> str:
        if self._root_token is None:
            signed_in = self.login(ROOT, ROOT_PASSWORD)
            assert signed_in.status_code == 200, signed_in.text
            made = httpx.post(
                f"{self.url}/api/tokens",
                json={"name": "tests"},
                cookies=signed_in.cookies,
                headers={"X-CSRF-Token": signed_in.json()["csrf_token"]},
                timeout=15,
            )
            assert made.status_code == 201, made.text
            self._root_token = str(made.json()["token"])
        return self._root_token

    def create_user(self, name: str) -> None:
        body = {"username": name, "password": password_of(name), "admin": name.startswith("admin")}
        headers = {"Authorization": f"Bearer {self.root_token()}"}
        made = httpx.post(f"{self.url}/api/users", json=body, headers=headers, timeout=15)
        assert made.status_code == 201, made.text
        self.user_ids[name] = str(made.json()["id"])

    def headers_of(self, name: str | None) -> dict[str, str]:
        """What a request of ``name`` carries (None: anonymous): its session cookie and CSRF
        token, signing the user in (created first) the first time it is named."""
        if name is None:
            return {}
        if name not in self.signed_in:
            if name not in self.user_ids:
                self.create_user(name)
            signed_in = self.login(name, password_of(name))
            assert signed_in.status_code == 200, signed_in.text
            self.signed_in[name] = {
                "Cookie": f"apiforge_session={signed_in.cookies['apiforge_session']}",
                "X-CSRF-Token": signed_in.json()["csrf_token"],
            }
        return self.signed_in[name]

    def token_of(self, name: str) -> str:
        """A new API token of ``name`` (signed in first)."""
        made = httpx.post(
            f"{self.url}/api/tokens", json={"name": "t"}, headers=self.headers_of(name), timeout=15
        )
        assert made.status_code == 201, made.text
        return str(made.json()["token"])


@contextmanager
def running_accounts_server(
    data_dir: Path, users: Iterable[str] = (), env: dict[str, str] | None = None
) -> Iterator[AccountsServer]:
    """A started AccountsServer with ``users`` created, stopped on exit."""
    server = AccountsServer(data_dir, env=env)
    server.start()
    try:
        for name in users:
            server.create_user(name)
        yield server
    finally:
        server.stop()
