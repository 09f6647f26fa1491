"""A project's history as a git bundle: one commit per completed version.

Built with the ``git`` CLI: a ``git fast-import`` stream into a temporary bare repository, then
``git bundle create``. Each commit holds the version's full file tree; its message is the prompt
and its author and committer dates are the version's ``created_at``, so the same history always
gives the same commit ids. ``git clone history.bundle`` checks out branch ``main``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession

from apiforge.errors import ApiforgeError, NotFoundError
from apiforge.store.status import VersionStatus
from apiforge.versions.cache import VersionCache
from apiforge.versions.paths import safe_relative_path
from apiforge.versions.reconstruct import iter_version_states

BRANCH = "main"
AUTHOR = "apiforge <apiforge@localhost>"
_GIT_TIMEOUT_S = 120.0


class GitUnavailableError(ApiforgeError):
    code = "git_unavailable"
    status_code = 503


class GitFailedError(ApiforgeError):
    code = "git_failed"


@dataclass(frozen=True)
class CommitSpec:
    message: str
    when: datetime
    files: Mapping[str, str]


def _timestamp(when: datetime) -> str:
    return f"{int(when.timestamp())} +0000"


def _data(stream: BinaryIO, payload: bytes) -> None:
    stream.write(b"data %d\n" % len(payload))
    stream.write(payload)
    stream.write(b"\n")


def write_fast_import(stream: BinaryIO, commits: Iterable[CommitSpec]) -> int:
    """Write a fast-import stream for ``commits`` in order; return how many were written."""
    count = 0
    for count, commit in enumerate(commits, start=1):
        stamp = _timestamp(commit.when)
        stream.write(f"commit refs/heads/{BRANCH}\nmark :{count}\n".encode())
        stream.write(f"author {AUTHOR} {stamp}\ncommitter {AUTHOR} {stamp}\n".encode())
        _data(stream, commit.message.encode("utf-8"))
        if count > 1:
            stream.write(f"from :{count - 1}\n".encode())
        stream.write(b"deleteall\n")
        for path in sorted(commit.files):
            # safe_relative_path rejects control characters, so no path needs quoting except
            # one starting with a double quote.
            name = safe_relative_path(path)
            quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
            target = quoted if name.startswith('"') else name
            stream.write(f"M 100644 inline {target}\n".encode())
            _data(stream, commit.files[path].encode("utf-8"))
    return count


def _git_env(home: Path) -> dict[str, str]:
    """Isolate git from the host's configuration (hooks, signing, templates)."""
    keep = {key: os.environ[key] for key in ("PATH", "LANG", "LC_ALL") if key in os.environ}
    return {
        **keep,
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
    }


def _run_git(args: list[str], *, cwd: Path, env: dict[str, str], stdin: BinaryIO | None) -> None:
    try:
        subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            stdin=stdin,
            capture_output=True,
            check=True,
            timeout=_GIT_TIMEOUT_S,
        )
    except subprocess.CalledProcessError as exc:
        detail = exc.stderr.decode("utf-8", "replace").strip()
        raise GitFailedError(f"git {args[0]} failed: {detail}") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitFailedError(f"git {args[0]} timed out") from exc


def make_git_bundle(commits: Iterable[CommitSpec], destination: Path) -> int:
    """Write a bundle of ``commits`` (oldest first) to ``destination``; return the commit count.

    Blocking (runs git); call it through ``asyncio.to_thread`` from async code.
    """
    if shutil.which("git") is None:
        raise GitUnavailableError("git is not installed on the server; install git to export")
    with tempfile.TemporaryDirectory(prefix="apiforge-bundle-") as scratch:
        root = Path(scratch)
        env = _git_env(root)
        repo = root / "repo.git"
        _run_git(["init", "--bare", "-q", "-b", BRANCH, str(repo)], cwd=root, env=env, stdin=None)
        stream_path = root / "stream"
        with stream_path.open("wb") as stream:
            count = write_fast_import(stream, commits)
            stream.write(b"done\n")  # with --done, a truncated stream fails instead of importing
        if count == 0:
            raise NotFoundError("the project has no completed version to export")
        with stream_path.open("rb") as stream:
            _run_git(["fast-import", "--quiet", "--done"], cwd=repo, env=env, stdin=stream)
        bundle = root / "history.bundle"
        _run_git(
            ["bundle", "create", "-q", str(bundle), "HEAD", BRANCH], cwd=repo, env=env, stdin=None
        )
        shutil.move(bundle, destination)
    return count


async def build_history_bundle(
    session: AsyncSession,
    *,
    project_id: str,
    destination: Path,
    cache: VersionCache | None = None,
) -> int:
    """Write the project's history bundle to ``destination``; return the number of commits.

    Only versions with status ``complete`` become commits (failed or running ones are skipped).
    Raises NotFoundError when there is none, GitUnavailableError when git is missing.
    """
    commits: list[CommitSpec] = []
    async for version, files in iter_version_states(session, project_id=project_id, cache=cache):
        if version.status == VersionStatus.COMPLETE:
            message = version.prompt if version.prompt.endswith("\n") else version.prompt + "\n"
            commits.append(CommitSpec(message, version.created_at, files))
    return await asyncio.to_thread(make_git_bundle, commits, destination)
