"""A real apiforge server in password mode whose requests act as the user a test names.

Until accounts exist (issue 14, point 2), nothing logs a test in. This stands in for it: a
test-only ASGI wrapper, outside the app, reads ``X-Test-User: NAME`` and sets the principal the
auth middleware would set for a signed-in NAME (``scope["state"]["principal"]``). Without the
header the request has no principal, as an anonymous one has none. Only this module and the
``as_user`` fixture (tests/core/conftest.py) know how a test signs in: replace both with real
logins once they exist.

Run as ``python -m tests.core.as_user_server PORT`` (the environment configures the app).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from apiforge.auth.principal import Principal
from apiforge.server.app import create_app
from apiforge.server.runner import GRACEFUL_SHUTDOWN_S, ApiforgeServer
from tests.server_process import ServerProcess

USER_HEADER = "x-test-user"


def user_id_of(name: str) -> str:
    return f"user-{name}"


def principal_of(name: str) -> Principal:
    # Users named admin… are admins: they must not see other users' projects either.
    admin = name.startswith("admin")
    return Principal(user_id=user_id_of(name), username=name, is_admin=admin, via="session")


class UserHeaderWrapper:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            for key, value in scope["headers"]:
                if key.decode("latin-1") == USER_HEADER:
                    principal = principal_of(value.decode("latin-1"))
                    scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


class AsUserServer(ServerProcess):
    """A ServerProcess serving the wrapped app, in password mode unless ``env`` says otherwise."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        super().__init__(data_dir, env={"APIFORGE_AUTH": "password", **(env or {})})

    def serve_command(self) -> list[str]:
        return [self.python, "-m", "tests.core.as_user_server", str(self.port)]


def main(port: int) -> None:
    app = create_app()
    config = uvicorn.Config(
        UserHeaderWrapper(app),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    asyncio.run(ApiforgeServer(app, config).serve())


if __name__ == "__main__":
    main(int(sys.argv[1]))
