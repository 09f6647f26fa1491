"""Per-user limits on what costs model time and storage: generations running at once, and new
versions of one project per hour (docs/security.md, "Limits").

Both are counted from the database inside the writing transaction that would add the version,
never from a counter kept beside it: the rows are the truth (a crash, a restart or a second
process cannot make them drift), and on SQLite that transaction holds the write lock, so two
requests cannot both take the last slot; on PostgreSQL the caller first takes the owner's and
the project's advisory locks (``store.db.serialize`` with the keys below) for the same effect.
Write requests per minute are counted elsewhere (server/rate_limits.py): they are about request
rate, not about stored state.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from apiforge.errors import RateLimited
from apiforge.settings import Settings
from apiforge.store import repository as repo

VERSION_WINDOW = timedelta(hours=1)


def owner_key(owner_id: str) -> str:
    """What a transaction counting an owner's running generations serialises on."""
    return f"apiforge:owner:{owner_id}"


def project_key(project_id: str) -> str:
    """What a transaction adding a version to the project serialises on."""
    return f"apiforge:project:{project_id}"


# No generation has a known end; a client asked to wait this long looks again soon, as a
# person watching would.
GENERATION_RETRY_S = 5


async def check_can_generate(session: AsyncSession, *, owner_id: str, settings: Settings) -> None:
    """Refuse a new generation while the owner already runs as many as the limit allows."""
    limit = settings.limit_generations
    if limit <= 0:
        return
    running = await repo.count_active_versions_of_owner(session, owner_id=owner_id)
    if running >= limit:
        raise RateLimited(
            f"{running} of your generations are running and the limit is {limit}; "
            "wait for one to finish or stop one",
            code="too_many_generations",
            retry_after_s=GENERATION_RETRY_S,
        )


async def check_can_add_version(
    session: AsyncSession, *, project_id: str, settings: Settings
) -> None:
    """Refuse a new version when the project got the hour's allowance already."""
    limit = settings.limit_versions_per_hour
    if limit <= 0:
        return
    now = repo.now()
    count, oldest = await repo.versions_created_since(
        session, project_id=project_id, since=now - VERSION_WINDOW
    )
    if count < limit or oldest is None:
        return
    # A slot frees when the oldest version of the window is an hour old.
    frees_at = oldest + VERSION_WINDOW
    raise RateLimited(
        f"This project got {count} new versions in the last hour and the limit is {limit}",
        code="too_many_versions",
        retry_after_s=int((frees_at - now).total_seconds()) + 1,
    )
