"""Failed logins per username and client address (``APIFORGE_LOGIN_ATTEMPTS_PER_MINUTE``).

Only failures count, so a person who types their password right is never slowed down: each
attempt is counted when it starts and taken back (with the pair's earlier failures) when its
password is right. Counted up front, not once it has failed: attempts sent all at once would
otherwise all pass a check made before the first of them had failed. The key is the pair, so
guessing one user's password from one address is throttled without letting that address lock
the user out everywhere else. The ``limits`` library's moving window, counted where the write
limit counts (``limit_storage.py``: in memory, or in Redis for all processes of a deployment).
"""

from __future__ import annotations

from limits import RateLimitItemPerMinute

from apiforge.errors import RateLimited
from apiforge.limit_storage import LimitStorage


class LoginThrottle:
    def __init__(self, per_minute: int, storage: LimitStorage) -> None:
        self._item = RateLimitItemPerMinute(per_minute)
        self._storage = storage

    async def attempt(self, username: str, client: str) -> None:
        """Count a sign-in attempt, refused when the last minute had the limit of failures."""
        if await self._storage.hit(self._item, "login", username, client):
            return
        raise RateLimited(
            "Too many failed sign-ins for this user; wait before trying again",
            code="too_many_logins",
            retry_after_s=await self._storage.seconds_until_free(
                self._item, "login", username, client
            ),
        )

    async def succeeded(self, username: str, client: str) -> None:
        """The password was right: none of this pair's attempts counts as a failure."""
        await self._storage.clear(self._item, "login", username, client)
