"""Host-side job directories: the project's files, the sandbox's /etc, and the socket dir."""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from apiforge.errors import InputError
from apiforge.sandbox.bwrap import JobPaths, etc_files

MAX_PATH_CHARS = 200
MAX_FILES = 400


def check_relative_path(path: str) -> PurePosixPath:
    """Reject anything that could land outside the project directory."""
    pure = PurePosixPath(path)
    bad = (
        not path
        or len(path) > MAX_PATH_CHARS
        or "\x00" in path
        or "\\" in path
        or pure.is_absolute()
        or any(part in ("..", ".", "") for part in path.split("/"))
    )
    if bad:
        raise InputError(f"Unsafe file path {path!r}", code="unsafe_path")
    return pure


def write_project(directory: Path, files: Mapping[str, str]) -> None:
    if len(files) > MAX_FILES:
        raise InputError(f"Too many files ({len(files)} > {MAX_FILES})", code="too_many_files")
    for name, content in files.items():
        target = directory.joinpath(*check_relative_path(name).parts)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        target.write_text(content, encoding="utf-8")
        target.chmod(0o644)


def create_job(base: Path, files: Mapping[str, str], uid: int | None, *, unsafe: bool) -> JobPaths:
    """Make ``base/<random>/{src,etc,sock}``; in unsafe mode also the writable ``work`` copy."""
    base.mkdir(parents=True, exist_ok=True)
    job = JobPaths(base / secrets.token_hex(8))
    job.root.mkdir(mode=0o711)
    job.src.mkdir(mode=0o755)
    write_project(job.src, files)
    job.etc.mkdir(mode=0o755)
    for name, text in etc_files(uid if uid is not None else os.getuid()).items():
        (job.etc / name).write_text(text)
    job.sock_dir.mkdir(mode=0o700)
    if uid is not None and os.geteuid() == 0:
        os.chown(job.sock_dir, uid, uid)
    if unsafe:
        shutil.copytree(job.src, job.work)
    return job


def lock_socket_dir(job: JobPaths) -> bool:
    """Once the app has bound its socket: take the directory back so the sandbox can no longer
    swap the socket for a symlink to some host socket. True when the socket is a real socket."""
    if os.geteuid() == 0:
        os.chown(job.sock_dir, 0, 0)
        job.sock_dir.chmod(0o755)
    return socket_is_genuine(job)


def socket_is_genuine(job: JobPaths) -> bool:
    try:
        info = os.lstat(job.socket)
    except OSError:
        return False
    return stat.S_ISSOCK(info.st_mode)


def remove_job(job: JobPaths) -> None:
    shutil.rmtree(job.root, ignore_errors=True)
