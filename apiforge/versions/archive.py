"""A version's files as a deterministic ZIP: same files ⇒ same bytes.

Entries are sorted by path, carry a fixed timestamp (1980-01-01, the earliest a ZIP can hold),
fixed permissions (0644, Unix), and are deflated at a fixed level. Paths are checked with
:func:`safe_relative_path`, so extraction cannot write outside its target directory.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

from apiforge.versions.paths import safe_relative_path

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644
_COMPRESS_LEVEL = 6


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, so external_attr below means permissions
    info.external_attr = _FILE_MODE << 16
    return info


def build_zip(files: Mapping[str, str], *, root: str | None = None) -> bytes:
    """ZIP bytes of ``files`` (UTF-8), optionally all under one ``root`` directory."""
    prefix = f"{safe_relative_path(root)}/" if root else ""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compresslevel=_COMPRESS_LEVEL) as archive:
        for path in sorted(files):
            name = prefix + safe_relative_path(path)
            archive.writestr(_entry(name), files[path].encode("utf-8"))
    return buffer.getvalue()


def archive_root_name(project_name: str, version_number: int) -> str:
    """A folder name like ``todo-api-v3`` built only from characters safe everywhere."""
    cleaned = "".join(
        c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in project_name
    )
    stem = "-".join(part for part in cleaned.lower().split("-") if part)[:60] or "project"
    return f"{stem}-v{version_number}"
