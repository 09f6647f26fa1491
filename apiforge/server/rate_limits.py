"""Write requests per user per minute (``APIFORGE_LIMIT_WRITES_PER_MINUTE``).

Counted with the ``limits`` library's moving window: the last minute, not a calendar minute, so
a burst cannot get twice the allowance across a minute's edge. Counted in memory for one server
process, in Redis for all processes of a deployment with ``APIFORGE_BUS=redis``
(``limit_storage.py``). A refused request is not counted, so a client retrying too fast is not
locked out longer.

Every ``/api`` request with a write method is counted by one app-wide dependency
(:func:`count_write`), so no route can forget it; WebSocket actions are counted by the socket
(``routes_stream.py``). Requests without a principal are not counted: they are refused with 401.
"""

from __future__ import annotations

from fastapi.requests import HTTPConnection
from limits import RateLimitItemPerMinute

from apiforge.auth.principal import Principal
from apiforge.errors import RateLimited
from apiforge.limit_storage import LimitStorage

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class WriteLimiter:
    """Counts in the lifespan's ``LimitStorage`` (shared with the login throttle)."""

    def __init__(self, per_minute: int, storage: LimitStorage | None = None) -> None:
        self._item = RateLimitItemPerMinute(per_minute) if per_minute > 0 else None
        self._storage = storage if storage is not None else LimitStorage.memory()

    async def check(self, user_id: str) -> None:
        """Count one write of ``user_id``, or refuse it when the last minute had the limit."""
        if self._item is None or await self._storage.hit(self._item, "writes", user_id):
            return
        raise RateLimited(
            f"More than {self._item.amount} changes in a minute; slow down",
            code="too_many_writes",
            retry_after_s=await self._storage.seconds_until_free(self._item, "writes", user_id),
        )


def is_write(method: str, path: str) -> bool:
    return method in WRITE_METHODS and path.startswith("/api/")


async def count_write(connection: HTTPConnection) -> None:
    """App-wide dependency: count this request against its user's writes per minute."""
    scope = connection.scope
    if scope["type"] != "http" or not is_write(scope["method"], connection.url.path):
        return
    principal = getattr(connection.state, "principal", None)
    if isinstance(principal, Principal):
        await connection.app.state.services.writes.check(principal.user_id)
