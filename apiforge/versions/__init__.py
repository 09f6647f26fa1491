"""Version history: diff-stored files, reconstruction with hash checks, cache, compare, export.

The public API, all taking an ``AsyncSession`` from the caller (nothing here opens a database):
:func:`store_version_files`, :func:`load_version_files`, :func:`delete_version`,
:func:`store_restored_files`, :func:`store_forked_files`, :func:`copy_chat_history`,
:func:`diff_versions`, :func:`build_zip`, :func:`build_history_bundle`, and :class:`VersionCache`.
"""

from apiforge.versions.archive import archive_root_name, build_zip
from apiforge.versions.bundle import GitFailedError, GitUnavailableError, build_history_bundle
from apiforge.versions.cache import VersionCache
from apiforge.versions.compare import (
    FileChange,
    RouteChange,
    RouteChanges,
    changed_routes,
    compare_files,
    openapi_from_files,
)
from apiforge.versions.history import delete_version, store_version_files
from apiforge.versions.lineage import (
    VersionDiff,
    copy_chat_history,
    diff_versions,
    store_forked_files,
    store_restored_files,
)
from apiforge.versions.reconstruct import (
    VersionIntegrityError,
    iter_version_states,
    load_version_files,
)

__all__ = [
    "FileChange",
    "GitFailedError",
    "GitUnavailableError",
    "RouteChange",
    "RouteChanges",
    "VersionCache",
    "VersionDiff",
    "VersionIntegrityError",
    "archive_root_name",
    "build_history_bundle",
    "build_zip",
    "changed_routes",
    "compare_files",
    "copy_chat_history",
    "delete_version",
    "diff_versions",
    "iter_version_states",
    "load_version_files",
    "openapi_from_files",
    "store_forked_files",
    "store_restored_files",
    "store_version_files",
]
