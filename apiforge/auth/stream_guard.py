"""Ends open streams whose credential no longer signs their user in.

A stream (SSE or WebSocket) is authenticated once, at its start. Signing out, disabling a user
and revoking a token change the database, so every process's streams re-read their credential
from there: one loop per process (owned by the app lifespan) checks each distinct credential of
its open streams every ``APIFORGE_STREAM_AUTH_CHECK_S`` and calls the revocation callback of
the streams whose credential no longer signs in their user. A change made in this process wakes
the loop at once (``recheck``); one made in another process is seen within the interval.

Why re-reading rather than a revocation notice over Redis: the database is already the truth
every process shares, whatever the bus; a missed or reordered notice cannot leave a stream open;
and there is no new channel to run. The cost is one indexed read per distinct open credential
per interval (many streams of one browser share one).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from apiforge.auth import accounts
from apiforge.auth.principal import AuthVia
from apiforge.errors import DatabaseUnavailable
from apiforge.periodic import Periodic
from apiforge.store.db import Database

log = logging.getLogger(__name__)

# Scope state key of the credential the principal middleware resolved the principal from.
CREDENTIAL_KEY = "credential"


@dataclass(frozen=True)
class Credential:
    """What signed a request in: a token's or session's secret, or the proxy's user name."""

    via: AuthVia
    secret: str


def credential_of(state: object) -> Credential | None:
    """The request's credential; None in local mode (nothing to revoke)."""
    found = getattr(state, CREDENTIAL_KEY, None)
    return found if isinstance(found, Credential) else None


async def signs_in(session: AsyncSession, credential: Credential, user_id: str) -> bool:
    """Whether ``credential`` still signs in ``user_id`` (read only: no last-use write)."""
    if credential.via == "token":
        found = await accounts.token_owner(session, secret=credential.secret)
        user = found[1] if found is not None else None
    elif credential.via == "session":
        user = await accounts.user_of_session(session, secret=credential.secret)
    elif credential.via == "header":
        user = await accounts.find_user(session, username=credential.secret)
        user = None if user is None or user.disabled else user
    else:
        return True
    return user is not None and user.id == user_id


Watched = tuple[Credential, str]


class StreamGuard:
    """The open streams of this process by credential, and the loop that re-checks them."""

    def __init__(self, db: Database, interval_s: float) -> None:
        self._db = db
        self._interval_s = interval_s
        self._streams: dict[Watched, set[Callable[[], None]]] = {}
        self._rounds = Periodic("stream-guard", interval_s, self._check_round)

    async def start(self) -> None:
        self._rounds.start()

    async def aclose(self) -> None:
        await self._rounds.aclose()

    @contextlib.contextmanager
    def watch(
        self, credential: Credential | None, user_id: str, *, on_revoked: Callable[[], None]
    ) -> Iterator[None]:
        """Call ``on_revoked`` (once, from the event loop) if ``credential`` stops signing in
        ``user_id`` while the block runs; never for None. A callback, not an event to wait on:
        a stream then needs no task of its own to notice."""
        if credential is None:
            yield
            return
        key = (credential, user_id)
        self._streams.setdefault(key, set()).add(on_revoked)
        try:
            yield
        finally:
            callbacks = self._streams.get(key)
            if callbacks is not None:
                callbacks.discard(on_revoked)
                if not callbacks:
                    del self._streams[key]

    def recheck(self) -> None:
        """A credential may just have been revoked here: check every open stream now."""
        self._rounds.wake()

    async def _check_round(self) -> None:
        try:
            await self._check()
        except (DatabaseUnavailable, SQLAlchemyError, OSError) as error:
            # The database being away revokes nothing: checked again next time.
            log.warning("stream credentials not re-checked (%s)", error)

    async def _check(self) -> None:
        """Every open stream's credential, in one read (one transaction per round, not one per
        credential)."""
        keys = list(self._streams)
        if not keys:
            return
        async with self._db.read() as session:
            ended = [key for key in keys if not await signs_in(session, *key)]
        for key in ended:
            for on_revoked in self._streams.pop(key, set()):
                on_revoked()
