"""Request bodies and answers of the account routes (``server/routes_auth.py``).

Shared by the server and the Python client like ``api_models``: this module imports neither the
server nor the store at run time (the ``of`` builders only read the rows they are given), so the
client stays FastAPI-free (tests/core/test_core_client_types.py).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from apiforge.store.models import ApiToken, User

# Names appear in logs, the UI and proxy headers: letters, digits and a few separators.
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"
USERNAME_RULE = (
    "letters, digits and _ . @ - (starting with a letter or digit), at most 64 characters"
)
_USERNAME = re.compile(USERNAME_PATTERN)


def is_valid_username(name: str) -> bool:
    """The rule of ``CreateUserBody.username``, for names that do not come in a body (the
    trusted proxy's header). ASCII only, so there is nothing to normalise."""
    return _USERNAME.fullmatch(name) is not None


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    # Bounded: argon2 hashes any length, but a megabyte password only costs the server.
    password: str = Field(min_length=1, max_length=1024)


class PasswordBody(BaseModel):
    """The rule every new password follows (``CreateUserBody`` and ``users set-password``)."""

    password: str = Field(min_length=8, max_length=1024)


class CreateUserBody(PasswordBody):
    username: str = Field(pattern=USERNAME_PATTERN)
    # Strict: 0, 1 or "true" are not a yes or no someone meant.
    admin: bool = Field(default=False, strict=True)


class UserPatch(BaseModel):
    # Disabled: no sign-in, session, token or proxy header acts as the user (until enabled).
    disabled: bool = Field(strict=True)


class TokenBody(BaseModel):
    name: str = Field(min_length=1, max_length=100)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat()


class UserOut(BaseModel):
    id: str
    username: str
    is_admin: bool
    disabled: bool
    created_at: str | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            username=user.username,
            is_admin=user.is_admin,
            disabled=user.disabled,
            created_at=_iso(user.created_at),
        )


class UserList(BaseModel):
    users: list[UserOut]


class LoginResult(BaseModel):
    user: UserOut
    # Send back as X-CSRF-Token with every change made with this session's cookie.
    csrf_token: str


class Me(BaseModel):
    id: str
    username: str
    is_admin: bool
    auth: Literal["local", "password", "header"]
    via: Literal["local", "session", "token", "header"]
    # Only for a cookie session: what X-CSRF-Token must say.
    csrf_token: str | None


class NewToken(BaseModel):
    id: str
    name: str
    # Shown this once: only its hash is kept.
    token: str


class TokenOut(BaseModel):
    id: str
    name: str
    created_at: str | None
    last_used_at: str | None
    revoked: bool

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls(
            id=token.id,
            name=token.name,
            created_at=_iso(token.created_at),
            last_used_at=_iso(token.last_used_at),
            revoked=token.revoked,
        )


class TokenList(BaseModel):
    tokens: list[TokenOut]
