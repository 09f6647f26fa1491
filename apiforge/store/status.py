"""The one vocabulary of a version's status, and how the string column maps to it.

Only ``generation/version_run.py`` changes a version's status (tests/generation/
test_generation_status_owner.py keeps it so); everything else reads it through this enum.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


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


class StatusColumn(TypeDecorator[VersionStatus]):
    """Stored as the plain string (the schema is unchanged), read back as a VersionStatus."""

    impl = String(16)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else VersionStatus(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> VersionStatus | None:
        return None if value is None else VersionStatus(value)
