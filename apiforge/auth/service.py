"""Accounts: what the auth middleware, the auth routes and the CLI ask of users and secrets.

Owned by the app lifespan (``AppServices.accounts``); the CLI builds one on the data dir for
``apiforge users``. The deployment's CSRF key (``auth/csrf_key.py``, in the app database, loaded
by ``start``) keys the CSRF tokens: ``HMAC(key, session id)``, so a token is bound to one
session, needs no storage, is accepted by every process of the deployment, and cannot be
computed by a page that does not know the session's cookie (which it cannot read).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from argon2 import PasswordHasher

from apiforge.auth import accounts
from apiforge.auth.csrf_key import load_csrf_key
from apiforge.auth.principal import AuthVia, Principal
from apiforge.auth.throttle import LoginThrottle
from apiforge.errors import AuthenticationRequired
from apiforge.limit_storage import LimitStorage
from apiforge.settings import Settings
from apiforge.store.db import Database, serialize
from apiforge.store.models import User

log = logging.getLogger("apiforge")


def user_lock_key(username: str) -> str:
    """The advisory lock every creation of a user named ``username`` takes (PostgreSQL)."""
    return f"apiforge:user:{username}"


def password_hasher() -> PasswordHasher:
    """argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane): argon2-cffi's
    default (64 MiB, 4 lanes) takes over a second on a small shared server, which turns every
    sign-in into a denial of service against the others. Hashes keep their own parameters, so
    these may be raised later without invalidating stored passwords."""
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def principal_of(user: User, via: AuthVia) -> Principal:
    return Principal(user_id=user.id, username=user.username, is_admin=user.is_admin, via=via)


class Accounts:
    def __init__(
        self, settings: Settings, db: Database, limits: LimitStorage | None = None
    ) -> None:
        """``limits``: where the login throttle counts (the lifespan's, shared with the write
        limit); without one, a memory storage of this object's own (the CLI)."""
        self.settings = settings
        self.db = db
        self.hasher = password_hasher()
        self._csrf_key: bytes | None = None
        self._own_limits = limits is None
        self._limits = limits if limits is not None else LimitStorage.memory()
        self.throttle = LoginThrottle(settings.login_attempts_per_minute, self._limits)
        # Checked when no such user exists, so an unknown name costs as long as a wrong
        # password: the answer's timing does not tell which names exist.
        self._decoy_hash = self.hasher.hash(secrets.token_hex(16))

    async def create_user(self, username: str, password: str | None, *, admin: bool) -> User:
        # argon2 is slow by design: hash off the event loop.
        hashed = None
        if password is not None:
            hashed = await asyncio.to_thread(accounts.hash_password, self.hasher, password)
        async with self.db.transaction() as session:
            # Two creations of one name at once (on PostgreSQL) wait for each other here, so
            # the second finds the first's user: 409, as on SQLite.
            await serialize(session, user_lock_key(username))
            return await accounts.create_user(
                session, username=username, password_hash=hashed, is_admin=admin
            )

    async def ensure_first_admin(self) -> None:
        """APIFORGE_ADMIN_USERNAME/PASSWORD make the first admin when no user exists yet."""
        name, password = self.settings.admin_username, self.settings.admin_password
        if not name or not password:
            return
        async with self.db.read() as session:
            if await accounts.count_users(session):
                return
        hashed = await asyncio.to_thread(accounts.hash_password, self.hasher, password)
        async with self.db.transaction() as session:
            # Several processes may start at once on one PostgreSQL database: one makes it.
            await serialize(session, "apiforge:first-admin")
            if await accounts.count_users(session):
                return
            await accounts.create_user(session, username=name, password_hash=hashed, is_admin=True)
        log.warning("created the first admin user %r", name)

    async def login(self, username: str, password: str, client: str) -> tuple[User, str]:
        """Check a password; returns the user and the new session's secret."""
        await self.throttle.attempt(username, client)
        async with self.db.read() as session:
            user = await accounts.find_user(session, username=username)
        # A user made by header mode has no password: checked against the decoy as well.
        known = user.password_hash if user is not None else None
        encoded = known or self._decoy_hash
        ok = await asyncio.to_thread(accounts.password_matches, self.hasher, encoded, password)
        if user is None or known is None or not ok:
            raise AuthenticationRequired("Wrong username or password", code="bad_credentials")
        await self.throttle.succeeded(username, client)
        if user.disabled:  # said only to whom knows the password
            raise AuthenticationRequired("This account is disabled", code="account_disabled")
        lifetime = timedelta(hours=self.settings.session_hours)
        async with self.db.transaction() as session:
            secret = await accounts.create_session(session, user_id=user.id, lifetime=lifetime)
        return user, secret

    async def logout(self, session_secret: str) -> None:
        async with self.db.transaction() as session:
            await accounts.end_session(session, secret=session_secret)

    async def by_session(self, secret: str) -> Principal | None:
        async with self.db.read() as session:
            user = await accounts.user_of_session(session, secret=secret)
        return principal_of(user, "session") if user is not None else None

    async def by_token(self, secret: str) -> Principal | None:
        async with self.db.read() as session:
            found = await accounts.token_owner(session, secret=secret)
        if found is None:
            return None
        token, user = found
        if accounts.needs_last_used(token):
            async with self.db.transaction() as session:
                await accounts.mark_used(session, token_id=token.id)
        return principal_of(user, "token")

    async def by_header(self, username: str) -> Principal | None:
        """The proxy vouches for the name: the user is created the first time it is seen.
        A disabled user stays anonymous, whatever the proxy says."""
        async with self.db.read() as session:
            user = await accounts.find_user(session, username=username)
        if user is None:
            async with self.db.transaction() as session:
                # Two first requests of a new name (two processes, on PostgreSQL) make one user.
                await serialize(session, user_lock_key(username))
                user = await accounts.find_user(session, username=username)
                if user is None:
                    user = await accounts.create_user(
                        session, username=username, password_hash=None, is_admin=False
                    )
        return None if user.disabled else principal_of(user, "header")

    async def set_disabled(self, user_id: str, *, disabled: bool) -> User:
        async with self.db.transaction() as session:
            return await accounts.set_disabled(session, user_id=user_id, disabled=disabled)

    async def set_password(self, username: str, password: str) -> User:
        hashed = await asyncio.to_thread(accounts.hash_password, self.hasher, password)
        async with self.db.transaction() as session:
            return await accounts.set_password(session, username=username, password_hash=hashed)

    async def start(self) -> None:
        """Load the deployment's CSRF key (made now if this is its first process)."""
        self._csrf_key = await load_csrf_key(self.db, self.settings.data_dir)

    def csrf_token(self, session_secret: str) -> str:
        if self._csrf_key is None:
            raise RuntimeError("Accounts.start was not called: no CSRF key")
        return hmac.new(self._csrf_key, session_secret.encode(), hashlib.sha256).hexdigest()

    def csrf_matches(self, session_secret: str, presented: str) -> bool:
        return hmac.compare_digest(self.csrf_token(session_secret), presented)

    async def aclose(self) -> None:
        if self._own_limits:
            await self._limits.aclose()
