"""Launching one sandboxed command: its own session, rlimits, cgroups, bounded output, and a kill
that takes the whole process tree down."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from apiforge.sandbox.bwrap import SandboxLimits
from apiforge.sandbox.cgroups import CgroupSet, create_cgroups

_HEAD_BYTES = 8 * 1024
_TAIL_BYTES = 24 * 1024


@dataclass(frozen=True)
class LaunchSpec:
    argv: Sequence[str]
    env: dict[str, str]
    limits: SandboxLimits
    cgroup_name: str
    cwd: Path | None = None
    limit_processes: bool = True
    """RLIMIT_NPROC counts per real uid: only meaningful when the command runs as its own uid."""


@dataclass(frozen=True)
class RunResult:
    returncode: int | None
    output: str
    timed_out: bool
    duration_s: float
    output_bytes: int

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


class OutputBuffer:
    """Keeps the head and the tail of a stream of any size, counting what it dropped."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = _HEAD_BYTES - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        self.tail += chunk
        if len(self.tail) > _TAIL_BYTES:
            del self.tail[: len(self.tail) - _TAIL_BYTES]

    def text(self) -> str:
        dropped = self.total - len(self.head) - len(self.tail)
        middle = f"\n[... {dropped} bytes of output dropped ...]\n" if dropped > 0 else ""
        return (bytes(self.head).decode(errors="replace") + middle) + bytes(self.tail).decode(
            errors="replace"
        )


def _child_setup(spec: LaunchSpec, cgroups: CgroupSet) -> Callable[[], None]:
    limits = spec.limits
    rlimits = [
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_FSIZE, limits.file_size_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_AS, limits.address_space_bytes),
    ]
    if spec.limit_processes:
        rlimits.append((resource.RLIMIT_NPROC, limits.processes))
    procs_files = cgroups.procs_files

    def setup() -> None:  # runs in the child between fork and exec: no locks, no allocation games
        os.setsid()
        for which, value in rlimits:
            resource.setrlimit(which, (value, value))
        pid = str(os.getpid())
        for procs in procs_files:
            try:
                with open(procs, "w") as handle:
                    handle.write(pid)
            except OSError:
                pass

    return setup


class SandboxProcess:
    """One running sandboxed command. Always ``await kill()`` (or ``wait``) when done."""

    def __init__(self, proc: asyncio.subprocess.Process, cgroups: CgroupSet) -> None:
        self._proc = proc
        self._cgroups = cgroups
        self._output = OutputBuffer()
        self._started = time.monotonic()
        self._reader = asyncio.create_task(self._read_output())
        self.killed = False

    @classmethod
    async def start(cls, spec: LaunchSpec) -> SandboxProcess:
        cgroups = create_cgroups(spec.cgroup_name, spec.limits.memory_bytes, spec.limits.processes)
        try:
            proc = await asyncio.create_subprocess_exec(
                *spec.argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env=spec.env,
                cwd=spec.cwd,
                preexec_fn=_child_setup(spec, cgroups),
            )
        except BaseException:
            cgroups.remove()
            raise
        return cls(proc, cgroups)

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode

    def output(self) -> str:
        return self._output.text()

    async def _read_output(self) -> None:
        assert self._proc.stdout is not None
        while chunk := await self._proc.stdout.read(65536):
            self._output.feed(chunk)

    async def wait(self, timeout: float) -> RunResult:
        """Wait for exit; past ``timeout`` the whole tree is killed."""
        timed_out = False
        try:
            await asyncio.wait_for(self._proc.wait(), timeout)
        except TimeoutError:
            timed_out = True
        finally:
            await self.kill()
        return RunResult(
            returncode=self._proc.returncode,
            output=self.output(),
            timed_out=timed_out,
            duration_s=time.monotonic() - self._started,
            output_bytes=self._output.total,
        )

    async def kill(self) -> None:
        """Kill the session (while its leader is unreaped, so the id cannot be reused) and the
        cgroups, then reap, drain the output and remove the cgroups."""
        if self._proc.returncode is None:
            self.killed = True
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signal.SIGKILL)
        self._cgroups.kill()
        with contextlib.suppress(ProcessLookupError):
            await self._proc.wait()
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), 2.0)
        except TimeoutError:
            # A descendant outside our reach still holds the pipe; stop reading from it.
            self._reader.cancel()
        await asyncio.to_thread(self._cgroups.remove)
