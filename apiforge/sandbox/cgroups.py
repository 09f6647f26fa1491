"""Best-effort cgroups for one sandboxed process tree: memory and pids limits, and kill-all.

Machines differ (v1, v2, hybrid, read-only /sys/fs/cgroup), so every step may silently do
nothing; the rlimits and the PID namespace are the guarantees, cgroups tighten them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

_MOUNTINFO = Path("/proc/self/mountinfo")
_SELF_CGROUP = Path("/proc/self/cgroup")


log = logging.getLogger(__name__)


@dataclass
class CgroupSet:
    """The cgroups created for one sandbox; ``procs_files`` are joined by the child itself."""

    dirs: list[Path] = field(default_factory=list)

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def kill(self) -> None:
        for directory in self.dirs:
            kill_file = directory / "cgroup.kill"
            if kill_file.exists():
                with contextlib.suppress(OSError):
                    kill_file.write_text("1")
                continue
            for pid in _read_pids(directory):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)

    def remove(self, wait_s: float = 10.0) -> None:
        """Remove the cgroups, killing stragglers again while they are busy (under heavy load
        reaping takes seconds); a cgroup that still will not go is logged, not left silently."""
        deadline = time.monotonic() + wait_s
        for directory in self.dirs:
            next_kill = time.monotonic() + 0.5
            while not _try_rmdir(directory):
                if time.monotonic() > deadline:
                    log.warning("could not remove cgroup %s: still busy", directory)
                    break
                if time.monotonic() > next_kill:
                    self.kill()
                    next_kill = time.monotonic() + 0.5
                time.sleep(0.02)
        self.dirs.clear()


def _try_rmdir(directory: Path) -> bool:
    """True once the directory is gone; False while processes still hold it."""
    try:
        directory.rmdir()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


def _read_pids(directory: Path) -> list[int]:
    try:
        text = (directory / "cgroup.procs").read_text()
    except OSError:
        return []
    return [int(line) for line in text.split() if line.strip().isdigit()]


def _mount_points() -> dict[str, Path]:
    """Controller name (or ``"unified"`` for cgroup2) -> mount point."""
    found: dict[str, Path] = {}
    try:
        lines = _MOUNTINFO.read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if len(fields) < 5 or len(tail) < 3:
            continue
        if tail[0] == "cgroup2":
            found.setdefault("unified", Path(fields[4]))
        elif tail[0] == "cgroup":
            for option in tail[2].split(","):
                found.setdefault(option, Path(fields[4]))
    return found


def _own_paths() -> dict[str, str]:
    """Controller name (or ``"unified"``) -> this process's cgroup path."""
    found: dict[str, str] = {}
    try:
        lines = _SELF_CGROUP.read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else ["unified"]:
            found[name] = path
    return found


def _make_child(mount: Path, own: str, name: str) -> Path | None:
    directory = mount / own.lstrip("/") / name
    try:
        directory.mkdir()
    except OSError:
        return None
    return directory


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
    except OSError:
        return False
    return True


def create_cgroups(name: str, memory_bytes: int, max_pids: int) -> CgroupSet:
    """Create per-sandbox cgroups where the machine lets us; an empty set otherwise."""
    mounts, own = _mount_points(), _own_paths()
    result = CgroupSet()
    limits = {
        "memory": ("memory.limit_in_bytes", str(memory_bytes)),
        "pids": ("pids.max", str(max_pids)),
    }
    for controller, (limit_file, value) in limits.items():
        if controller in mounts and controller in own:
            directory = _make_child(mounts[controller], own[controller], name)
            if directory is not None:
                _write(directory / limit_file, value)
                result.dirs.append(directory)
    if "unified" in mounts and "unified" in own:
        directory = _make_child(mounts["unified"], own["unified"], name)
        if directory is not None:
            # cgroup2 offers memory.max / pids.max only where those controllers are enabled.
            _write(directory / "memory.max", str(memory_bytes))
            _write(directory / "pids.max", str(max_pids))
            result.dirs.append(directory)
    return result
