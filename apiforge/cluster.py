"""N API processes and M workers on this machine, against the shared databases and Redis.

``scripts/cluster.sh`` runs this module; the scale tests use :class:`Cluster` itself. Each
process gets its own data dir (``{root}/api-1``, ``{root}/worker-1``, ...), executor id (its
name, prefixed), sandbox uid range and, for API processes, port; its output goes to
``server.log`` in its dir.
The shared settings (``APIFORGE_DATABASE_URL``, ``APIFORGE_DBOS_DATABASE_URL``,
``APIFORGE_BUS=redis``, ``APIFORGE_REDIS_URL``, ``APIFORGE_REDIS_PREFIX``) come from the
environment. ``stop`` (or Ctrl-C on the running command) ends them all with SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from apiforge.ports import free_port
from apiforge.settings import ENV_PREFIX, Settings

PIDS_FILE = "cluster.pids"
WORKER_RUNNING = re.compile(r"apiforge worker (\S+) is running generations")


# A sandbox slot's clean-up ends every process of its uid, and each process numbers its
# validation slots, then its previews' slots, from its first uid: two processes of one host
# must not share one, so each member gets its own range.
FIRST_UID = f"{ENV_PREFIX}SANDBOX_FIRST_UID"


def _int_setting(env: Mapping[str, str], name: str) -> int:
    default: int = Settings.model_fields[name].default
    return int(env.get(f"{ENV_PREFIX}{name.upper()}", default))


def sandbox_uids_used(env: Mapping[str, str]) -> int:
    """How many uids, from its first, a process with these settings uses."""
    return _int_setting(env, "sandbox_slots") + _int_setting(env, "preview_max")


@dataclass
class Member:
    """One process of the cluster: ``api-N`` (serve --role api) or ``worker-N``."""

    name: str
    data_dir: Path
    executor_id: str
    port: int | None = None
    # This process's own settings, over the cluster's (e.g. another application version).
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def is_api(self) -> bool:
        return self.port is not None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} is not running"
        return self.process.pid

    def command(self, python: str) -> list[str]:
        if self.port is None:
            return [python, "-m", "apiforge.cli", "worker"]
        return [python, "-m", "apiforge.cli", "serve", "--role", "api", "--port", str(self.port)]

    def spawn(self, python: str, env: Mapping[str, str]) -> None:
        """Start it with ``env``, its whole environment (:meth:`Cluster.env_of`)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(python),
                env=dict(env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: a signal reaches its children too
            )

    def ready(self) -> bool:
        """Serving (an API process) or taking generations (a worker); raises if it exited."""
        assert self.process is not None, f"{self.name} was not started"
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text()[-3000:]}")
        if self.port is None:
            return WORKER_RUNNING.search(self.log_path.read_text()) is not None
        try:
            return httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def end(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 15.0) -> None:
        """Send ``sig`` (SIGKILL: abrupt death) and wait; SIGKILL if it outlives ``timeout``."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.process = None


class Cluster:
    def __init__(
        self,
        root: Path,
        apis: int,
        workers: int,
        env: Mapping[str, str] | None = None,  # on top of this process's environment
        python: str = sys.executable,
        prefix: str = "",
    ) -> None:
        self.root = root
        self.python = python
        self.env = {**os.environ, **(env or {})}
        names = [f"api-{i}" for i in range(1, apis + 1)]
        names += [f"worker-{i}" for i in range(1, workers + 1)]
        self.members = [
            Member(name, root / name, f"{prefix}{name}", free_port() if "api" in name else None)
            for name in names
        ]

    @property
    def apis(self) -> list[Member]:
        return [member for member in self.members if member.is_api]

    @property
    def workers(self) -> list[Member]:
        return [member for member in self.members if not member.is_api]

    def first_uids(self) -> dict[str, int]:
        """Each member's first sandbox uid: back-to-back ranges from the cluster's
        ``APIFORGE_SANDBOX_FIRST_UID`` (or the default), each as wide as that member uses; a
        member whose own settings name one keeps it (and takes no range of the others)."""
        firsts: dict[str, int] = {}
        next_first = _int_setting(self.env, "sandbox_first_uid")
        for member in self.members:
            if FIRST_UID in member.env:
                continue
            firsts[member.name] = next_first
            next_first += sandbox_uids_used({**self.env, **member.env})
        return firsts

    def env_of(self, member: Member) -> dict[str, str]:
        """``member``'s whole environment: the cluster's, its own settings, its data dir,
        executor id and sandbox uids."""
        own = {
            "APIFORGE_DATA_DIR": str(member.data_dir),
            "APIFORGE_EXECUTOR_ID": member.executor_id,
        }
        if (first := self.first_uids().get(member.name)) is not None:
            own[FIRST_UID] = str(first)
        return {**self.env, **member.env, **own}

    def respawn(self, member: Member) -> None:
        """Start ``member`` again (after it ended) with its whole environment, including any
        setting changed in ``member.env`` since."""
        member.spawn(self.python, self.env_of(member))

    def start(self, timeout: float = 60.0) -> None:
        """Start every process at once, then wait until all are ready."""
        for member in self.members:
            member.spawn(self.python, self.env_of(member))
        # The runner's pid first: `stop` asks it to stop them all (and the groups, if it died).
        pids = [os.getpid(), *(member.pid for member in self.members)]
        (self.root / PIDS_FILE).write_text("".join(f"{pid}\n" for pid in pids))
        self.wait_ready(self.members, timeout)

    def wait_ready(self, members: list[Member], timeout: float) -> None:
        """Until every one of ``members`` is ready; RuntimeError naming those that are not by
        ``timeout``."""
        deadline = time.monotonic() + timeout
        waiting = list(members)
        while waiting:
            waiting = [member for member in waiting if not member.ready()]
            if waiting and time.monotonic() > deadline:
                names = ", ".join(member.name for member in waiting)
                raise RuntimeError(f"not ready after {timeout:.0f} s: {names}")
            time.sleep(0.05)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        for member in self.members:
            member.end(sig)
        (self.root / PIDS_FILE).unlink(missing_ok=True)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_recorded(root: Path, timeout: float = 30.0) -> int:
    """SIGTERM a running ``cluster.sh`` under ``root`` and the process groups it started, and
    wait until they are gone (so the databases can be dropped right after); the number of
    processes that were still running."""
    path = root / PIDS_FILE
    if not path.exists():
        return 0
    runner, *members = [int(line) for line in path.read_text().split()]
    with contextlib.suppress(ProcessLookupError):
        os.kill(runner, signal.SIGTERM)
    running = [pid for pid in members if _group_alive(pid)]  # not those killed meanwhile
    for pid in running:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(_group_alive(pid) for pid in running) and time.monotonic() < deadline:
        time.sleep(0.1)
    path.unlink(missing_ok=True)
    return len(running)


def _report_exits(cluster: Cluster, exited: set[str]) -> None:
    """Say once that a member ended (``poll`` also reaps it, so ``stop`` no longer counts it)."""
    for member in cluster.members:
        if member.name in exited or member.process is None:
            continue
        if (code := member.process.poll()) is not None:
            exited.add(member.name)
            print(f"{member.name}  pid {member.pid}  exited ({code}); the others go on", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cluster.sh", description=__doc__)
    parser.add_argument("action", nargs="?", choices=("start", "stop"), default="start")
    parser.add_argument("--api", type=int, default=2, help="API processes (serve --role api)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--dir", type=Path, default=Path("cluster"), help="their data dirs")
    args = parser.parse_args(argv)
    if args.action == "stop":
        print(f"stopped {stop_recorded(args.dir)} process(es)")
        return 0
    cluster = Cluster(args.dir.resolve(), args.api, args.workers, prefix=f"{socket.gethostname()}-")
    stopping = False

    def request_stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        cluster.start()
        for member in cluster.members:
            where = member.url if member.is_api else "worker"
            print(f"{member.name}  pid {member.pid}  {where}  log {member.log_path}", flush=True)
        print("Ctrl-C (or `scripts/cluster.sh stop`) stops them all", flush=True)
        exited: set[str] = set()
        while not stopping:
            time.sleep(0.2)
            _report_exits(cluster, exited)
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
