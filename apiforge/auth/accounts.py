"""Users, personal API tokens and login sessions in the app database. Keyword-only, session-scoped.

Passwords are hashed with argon2id (argon2-cffi's defaults, which follow RFC 9106): slow on
purpose, since people choose guessable passwords. Tokens and session ids are different: each is
``secrets.token_urlsafe(32)`` (256 random bits), so no guess list exists and a fast sha256 is
enough to make a stolen database useless; it is also deterministic, so a request's secret is
found by its hash with one indexed lookup instead of trying an argon2 check against every row.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from apiforge.errors import ConflictError, NotFoundError
from apiforge.store.models import ApiToken, LoginSession, User
from apiforge.store.repository import new_id, now

TOKEN_PREFIX = "apf_"
# Only so often is a token's last use written: a busy client must not turn reads into writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewSecret:
    """A secret handed out once (a token or a session id) and the row id it belongs to."""

    id: str
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(hasher: PasswordHasher, password: str) -> str:
    return hasher.hash(password)


def password_matches(hasher: PasswordHasher, encoded: str | None, password: str) -> bool:
    if encoded is None:
        return False
    try:
        return hasher.verify(encoded, password)
    except (VerificationError, InvalidHashError):
        return False


async def create_user(
    session: AsyncSession, *, username: str, password_hash: str | None, is_admin: bool
) -> User:
    if await find_user(session, username=username) is not None:
        raise ConflictError(f"A user named {username!r} exists already", code="user_exists")
    user = User(
        id=new_id(),
        username=username,
        password_hash=password_hash,
        is_admin=is_admin,
        created_at=now(),
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as error:
        # The name's unique index, whichever database enforces it: a user made by a concurrent
        # transaction since the look-up above. The same answer as when the look-up finds it.
        raise ConflictError(
            f"A user named {username!r} exists already", code="user_exists"
        ) from error
    return user


async def find_user(session: AsyncSession, *, username: str) -> User | None:
    found: User | None = await session.scalar(select(User).where(User.username == username))
    return found


async def get_user(session: AsyncSession, *, user_id: str) -> User | None:
    return await session.get(User, user_id)


async def list_users(session: AsyncSession) -> list[User]:
    return list(await session.scalars(select(User).order_by(User.created_at, User.username)))


async def set_disabled(session: AsyncSession, *, user_id: str, disabled: bool) -> User:
    """Disable (or enable again) a user. Disabling ends their sessions; their tokens are refused
    while disabled (``token_owner``) and work again if the user is enabled."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFoundError("No such user")
    user.disabled = disabled
    if disabled:
        await session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
    await session.flush()
    return user


async def set_password(session: AsyncSession, *, username: str, password_hash: str) -> User:
    """A new password; every session of the user ends (tokens stay: they are not passwords)."""
    user = await find_user(session, username=username)
    if user is None:
        raise NotFoundError(f"No user named {username!r}")
    user.password_hash = password_hash
    await session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    await session.flush()
    return user


async def count_users(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def create_session(session: AsyncSession, *, user_id: str, lifetime: timedelta) -> str:
    """A new login session; returns the secret the cookie carries (stored only hashed)."""
    secret = secrets.token_urlsafe(32)
    stamp = now()
    # Expired sessions are dropped at each sign-in, so the table holds only live ones.
    await session.execute(delete(LoginSession).where(LoginSession.expires_at <= stamp))
    session.add(
        LoginSession(
            id_hash=hash_secret(secret),
            user_id=user_id,
            created_at=stamp,
            expires_at=stamp + lifetime,
        )
    )
    await session.flush()
    return secret


async def user_of_session(session: AsyncSession, *, secret: str) -> User | None:
    row = await session.get(LoginSession, hash_secret(secret))
    if row is None or row.expires_at <= now():
        return None
    user = await session.get(User, row.user_id)
    return None if user is None or user.disabled else user


async def end_session(session: AsyncSession, *, secret: str) -> None:
    await session.execute(delete(LoginSession).where(LoginSession.id_hash == hash_secret(secret)))


async def create_token(session: AsyncSession, *, user_id: str, name: str) -> NewSecret:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        id=new_id(),
        user_id=user_id,
        name=name,
        token_hash=hash_secret(secret),
        created_at=now(),
        revoked=False,
    )
    session.add(token)
    await session.flush()
    return NewSecret(id=token.id, secret=secret)


async def list_tokens(session: AsyncSession, *, user_id: str) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at)
    return list(await session.scalars(query))


async def revoke_token(session: AsyncSession, *, user_id: str, token_id: str) -> None:
    """Revoke one of the user's tokens; another user's token id is not found, as for projects."""
    result = await session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user_id)
        .values(revoked=True)
    )
    if getattr(result, "rowcount", 0) == 0:
        raise NotFoundError("No such token")


async def token_owner(session: AsyncSession, *, secret: str) -> tuple[ApiToken, User] | None:
    token: ApiToken | None = await session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_secret(secret))
    )
    if token is None or token.revoked:
        return None
    user = await session.get(User, token.user_id)
    return None if user is None or user.disabled else (token, user)


def needs_last_used(token: ApiToken) -> bool:
    return token.last_used_at is None or now() - token.last_used_at > LAST_USED_RESOLUTION


async def mark_used(session: AsyncSession, *, token_id: str) -> None:
    await session.execute(
        update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now())
    )
