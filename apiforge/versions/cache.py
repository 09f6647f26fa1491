"""An in-memory LRU of reconstructed versions, bounded by the bytes of the files it holds.

Keys are ``(project_id, version_number)``. Only versions that can no longer change are put here
(the reader checks the version's status), so an entry stays right until the project's history is
rewritten (a version deleted, the project deleted); callers then use :meth:`invalidate_project`.

A reader that started before an invalidation must not re-insert what it read: it takes
:attr:`epoch` before reading and passes it to :meth:`put`, which drops stale inserts.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from apiforge.versions.diffs import utf8_size

# Per-file bookkeeping (dict slot, str headers) so many tiny files still count for something.
_PER_FILE_OVERHEAD = 64

CacheKey = tuple[str, int]


@dataclass(frozen=True)
class CacheStats:
    entries: int
    bytes: int
    max_bytes: int
    hits: int
    misses: int


def files_size(files: Mapping[str, str]) -> int:
    return sum(
        utf8_size(path) + utf8_size(text) + _PER_FILE_OVERHEAD for path, text in files.items()
    )


class VersionCache:
    """Least-recently-used cache of ``{path: content}`` per version. Not thread-safe (one loop)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[CacheKey, tuple[dict[str, str], int]] = OrderedDict()
        self._by_project: dict[str, set[int]] = {}
        self._bytes = 0
        self._epoch = 0
        self._hits = 0
        self._misses = 0

    @property
    def epoch(self) -> int:
        return self._epoch

    def get(self, project_id: str, version_number: int) -> dict[str, str] | None:
        """A copy of the cached files, so callers may change it freely."""
        key = (project_id, version_number)
        entry = self._entries.get(key)
        if entry is None:
            self._misses += 1
            return None
        self._entries.move_to_end(key)
        self._hits += 1
        return dict(entry[0])

    def put(
        self, project_id: str, version_number: int, files: Mapping[str, str], *, epoch: int
    ) -> bool:
        """Insert a copy; return False if it was dropped (stale epoch or larger than the cache)."""
        if epoch != self._epoch:
            return False
        size = files_size(files)
        if size > self.max_bytes:
            return False
        key = (project_id, version_number)
        self._discard(key)
        self._entries[key] = (dict(files), size)
        self._by_project.setdefault(project_id, set()).add(version_number)
        self._bytes += size
        while self._bytes > self.max_bytes:
            oldest = next(iter(self._entries))
            self._discard(oldest)
        return True

    def invalidate_project(self, project_id: str) -> None:
        self._epoch += 1
        for version_number in list(self._by_project.get(project_id, ())):
            self._discard((project_id, version_number))

    def clear(self) -> None:
        self._epoch += 1
        self._entries.clear()
        self._by_project.clear()
        self._bytes = 0

    def cached_versions(self, project_id: str) -> list[int]:
        return sorted(self._by_project.get(project_id, ()))

    def stats(self) -> CacheStats:
        return CacheStats(
            entries=len(self._entries),
            bytes=self._bytes,
            max_bytes=self.max_bytes,
            hits=self._hits,
            misses=self._misses,
        )

    def _discard(self, key: CacheKey) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self._bytes -= entry[1]
        numbers = self._by_project.get(key[0])
        if numbers is not None:
            numbers.discard(key[1])
            if not numbers:
                del self._by_project[key[0]]
