"""Runs commands for one job: inside bubblewrap, or (only when explicitly allowed) as plain
subprocesses in the unsafe local mode."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from apiforge.errors import ValidationFailed
from apiforge.sandbox.bwrap import (
    INSIDE_SOCKET_DIR,
    SOCKET_NAME,
    JobPaths,
    SandboxLimits,
    bwrap_argv,
    sandbox_env,
)
from apiforge.sandbox.process import LaunchSpec, RunResult, SandboxProcess
from apiforge.sandbox.runtime import ValidationRuntime, find_bwrap, find_setpriv

logger = logging.getLogger(__name__)

UNSAFE_WARNING = (
    "APIFORGE_SANDBOX_UNSAFE_LOCAL is on: generated code runs WITHOUT a sandbox, as this user, "
    "with access to this machine's files and network. Use only for code you trust."
)


class SandboxUnavailable(ValidationFailed):
    code = "sandbox_unavailable"


@dataclass(frozen=True)
class SandboxTools:
    """How commands are isolated: ``bwrap`` set, or ``None`` for the unsafe local mode."""

    bwrap: str | None
    setpriv: str | None

    @property
    def unsafe(self) -> bool:
        return self.bwrap is None


def detect_tools(*, allow_unsafe: bool) -> SandboxTools:
    bwrap = find_bwrap()
    if bwrap is not None:
        return SandboxTools(bwrap=bwrap, setpriv=find_setpriv())
    if not allow_unsafe:
        raise SandboxUnavailable(
            "Sandbox validation needs bubblewrap (Debian package 'bubblewrap'; "
            "`bash scripts/install-system-deps.sh` as root installs it). To run generated code "
            "unsandboxed on a trusted machine, set APIFORGE_SANDBOX_UNSAFE_LOCAL=1."
        )
    logger.warning(UNSAFE_WARNING)
    return SandboxTools(bwrap=None, setpriv=None)


@dataclass(frozen=True)
class SandboxRunner:
    tools: SandboxTools
    runtime: ValidationRuntime
    job: JobPaths
    uid: int | None
    limits: SandboxLimits

    @property
    def socket_inside(self) -> str:
        """The app's socket path as seen by the sandboxed command."""
        if self.tools.unsafe:
            return str(self.job.socket)
        return f"{INSIDE_SOCKET_DIR}/{SOCKET_NAME}"

    def _spec(
        self,
        command: Sequence[str],
        limits: SandboxLimits,
        serve: bool,
        extra_env: Mapping[str, str],
    ) -> LaunchSpec:
        name = f"apiforge-sbx-{secrets.token_hex(6)}"
        if self.tools.bwrap is None:
            env = sandbox_env(self.runtime, home=str(self.job.work)) | dict(extra_env)
            env["TMPDIR"] = str(self.job.work)
            return LaunchSpec(
                argv=list(command),
                env=env,
                limits=limits,
                cgroup_name=name,
                cwd=self.job.work,
                limit_processes=False,
            )
        argv = bwrap_argv(
            bwrap=self.tools.bwrap,
            setpriv=self.tools.setpriv,
            runtime=self.runtime,
            job=self.job,
            limits=limits,
            uid=self.uid,
            command=command,
            env=sandbox_env(self.runtime, home="/tmp") | dict(extra_env),
            serve=serve,
        )
        # bwrap stays pid 1's parent; it must not carry the server's environment either.
        env = {"PATH": "/usr/bin:/bin"}
        switched = self.uid is not None and self.tools.setpriv is not None
        return LaunchSpec(
            argv=argv, env=env, limits=limits, cgroup_name=name, limit_processes=switched
        )

    async def start(
        self,
        command: Sequence[str],
        *,
        cpu_seconds: int | None = None,
        serve: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> SandboxProcess:
        """Start ``command``; only a ``serve``-ing command sees the socket directory."""
        limits = self.limits
        if cpu_seconds is not None:
            limits = replace(limits, cpu_seconds=cpu_seconds)
        return await SandboxProcess.start(self._spec(command, limits, serve, env or {}))

    async def run(
        self, command: Sequence[str], timeout: float, env: Mapping[str, str] | None = None
    ) -> RunResult:
        """Run ``command`` to completion; past ``timeout`` its whole tree is killed."""
        process = await self.start(command, cpu_seconds=int(timeout) + 2, env=env)
        return await process.wait(timeout)

    def python(self, *args: str) -> list[str]:
        return [str(self.runtime.python), "-B", *args]
