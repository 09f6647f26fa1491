"""The bubblewrap command line for one sandboxed command, and its unsafe-local twin.

Inside the sandbox the project lives in ``/app`` (a size-limited tmpfs filled from a read-only
copy at ``/src``), ``/tmp`` is a size-limited tmpfs, ``/run/sbx`` is the only directory shared
with the host (it holds the app's Unix socket), and the runtime is mounted read-only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from apiforge.sandbox.runtime import ValidationRuntime

INSIDE_APP_DIR = "/app"
INSIDE_SOCKET_DIR = "/run/sbx"
SOCKET_NAME = "app.sock"
_MiB = 1024 * 1024

# Copies the project into the writable tmpfs, then becomes the real command.
_ENTRY_SCRIPT = 'cp -R /src/. /app/ && exec "$@"'


@dataclass(frozen=True)
class SandboxLimits:
    cpu_seconds: int = 120
    memory_bytes: int = 768 * _MiB
    address_space_bytes: int = 2048 * _MiB
    file_size_bytes: int = 64 * _MiB
    open_files: int = 256
    processes: int = 128
    disk_bytes: int = 64 * _MiB


@dataclass(frozen=True)
class JobPaths:
    """Host-side directories of one sandbox job."""

    root: Path

    @property
    def src(self) -> Path:
        return self.root / "src"

    @property
    def work(self) -> Path:
        """Writable copy of the project; used only by the unsafe local mode."""
        return self.root / "work"

    @property
    def sock_dir(self) -> Path:
        return self.root / "sock"

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def socket(self) -> Path:
        return self.sock_dir / SOCKET_NAME


def sandbox_env(runtime: ValidationRuntime, home: str) -> dict[str, str]:
    return {
        "PATH": f"{runtime.bin_dir}:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONHASHSEED": "0",
    }


def _parents(path: Path) -> list[str]:
    return [str(p) for p in reversed(path.parents) if str(p) != "/"]


def _runtime_mounts(runtime: ValidationRuntime) -> list[str]:
    args: list[str] = []
    made: set[str] = {"/usr", "/etc", "/run", "/tmp", "/app", "/src"}
    for mount in runtime.mounts():
        for parent in _parents(mount):
            if parent not in made:
                # Without explicit perms bwrap makes these 0700 and the dropped uid cannot pass.
                args += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        args += ["--ro-bind", str(mount), str(mount)]
    return args


def _base_mounts(job: JobPaths, limits: SandboxLimits, serve: bool) -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64", "sbin"):
        if Path("/usr", name).exists():
            args += ["--symlink", f"usr/{name}", f"/{name}"]
    args += ["--perms", "0755", "--dir", "/etc"]
    for name in ("hosts", "passwd", "group"):
        args += ["--ro-bind", str(job.etc / name), f"/etc/{name}"]
    if Path("/etc/ssl").is_dir():
        args += ["--perms", "0755", "--dir", "/etc/ssl"]
    for extra in ("/etc/alternatives", "/etc/ssl/certs", "/etc/ssl/openssl.cnf", "/etc/localtime"):
        if Path(extra).exists():
            args += ["--ro-bind", extra, extra]
    size = str(limits.disk_bytes)
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--perms", "1777", "--size", size, "--tmpfs", "/tmp"]
    args += ["--perms", "1777", "--size", size, "--tmpfs", INSIDE_APP_DIR]
    args += ["--ro-bind", str(job.src), "/src"]
    args += ["--perms", "0755", "--dir", "/run"]
    if serve:
        args += ["--bind", str(job.sock_dir), INSIDE_SOCKET_DIR]
    return args


def bwrap_argv(
    *,
    bwrap: str,
    setpriv: str | None,
    runtime: ValidationRuntime,
    job: JobPaths,
    limits: SandboxLimits,
    uid: int | None,
    command: Sequence[str],
    env: Mapping[str, str],
    serve: bool = False,
) -> list[str]:
    """The full argv: bwrap, its mounts, then (as root) setpriv down to ``uid``, then the command.

    Only a command that ``serve``s gets the socket directory; tests and checks see none.

    As root the namespaces are listed one by one: ``--unshare-all`` would add a user namespace
    that maps only uid 0, and setpriv could not drop to ``uid`` inside it.
    """
    args = [bwrap, "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    args += ["--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    if uid is None:
        args += ["--unshare-user"]
    args += ["--hostname", "sandbox"]
    args += _base_mounts(job, limits, serve) + _runtime_mounts(runtime)
    args += ["--chdir", INSIDE_APP_DIR, "--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    args += ["--cap-drop", "ALL"]
    if uid is not None and setpriv is not None:
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
        args += ["--", setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
        args += ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
    args += ["--", "/bin/sh", "-c", _ENTRY_SCRIPT, "sbx-entry", *command]
    return args


def etc_files(uid: int) -> dict[str, str]:
    """The sandbox's own /etc/hosts, /etc/passwd and /etc/group."""
    return {
        "hosts": "127.0.0.1 localhost sandbox\n::1 localhost\n",
        "passwd": f"root:x:0:0:root:/tmp:/bin/sh\nsandbox:x:{uid}:{uid}:sandbox:/tmp:/bin/sh\n",
        "group": f"root:x:0:\nsandbox:x:{uid}:\n",
    }
