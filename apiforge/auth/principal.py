"""The principal a request acts as, and the dependencies routes use to get it.

Every route that touches a project takes a :data:`CurrentPrincipal` and passes its ``user_id``
as the owner to the repository. In ``local`` mode the principal is always :data:`LOCAL_PRINCIPAL`;
in ``password`` and ``header`` modes the auth middleware resolves it and stores it on
``request.state.principal`` (HTTP) or ``websocket.state.principal`` (WebSocket).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request, WebSocket

from apiforge.errors import AuthenticationRequired
from apiforge.store.repository import LOCAL_OWNER

AuthVia = Literal["local", "session", "token", "header"]


@dataclass(frozen=True)
class Principal:
    user_id: str
    username: str
    is_admin: bool
    via: AuthVia


LOCAL_PRINCIPAL = Principal(user_id=LOCAL_OWNER, username="local", is_admin=True, via="local")


# Request state key of why the middleware found no principal, when it knows better than "none".
REFUSAL_KEY = "auth_refusal"


def _principal_of(state: object) -> Principal:
    principal = getattr(state, "principal", None)
    if not isinstance(principal, Principal):
        refusal = getattr(state, REFUSAL_KEY, None)
        if isinstance(refusal, AuthenticationRequired):
            raise refusal
        raise AuthenticationRequired("Sign in first: this server requires an account.")
    return principal


def http_principal(request: Request) -> Principal:
    return _principal_of(request.state)


def ws_principal(websocket: WebSocket) -> Principal:
    return _principal_of(websocket.state)


CurrentPrincipal = Annotated[Principal, Depends(http_principal)]
WsPrincipal = Annotated[Principal, Depends(ws_principal)]
