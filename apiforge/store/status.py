"""The one vocabulary of a version's status, and how the string column maps to it.

Only ``generation/version_run.py`` changes a version's status (tests/generation/
test_generation_status_owner.py keeps it so); everything else reads it through this enum.
Plain Python (no SQLAlchemy): the Python client, the events and the web UI's generated
``statuses.js`` read it too; the column type is ``store.models.StatusColumn``.
"""

from __future__ import annotations

from enum import StrEnum


class VersionStatus(StrEnum):
    PENDING = "pending"
    GENERATING = "generating"
    VALIDATING = "validating"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        return self in ACTIVE_STATUSES

    @property
    def final(self) -> bool:
        return self in FINAL_STATUSES


# A version is being worked on: at most one per project (repository.ensure_idle).
ACTIVE_STATUSES = frozenset(
    {VersionStatus.PENDING, VersionStatus.GENERATING, VersionStatus.VALIDATING}
)
# A version's files never change again, so reading them may be cached.
FINAL_STATUSES = frozenset({VersionStatus.COMPLETE, VersionStatus.FAILED, VersionStatus.CANCELLED})
