"""A real apiforge server in a child process, on a free loopback port, for streaming tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

from apiforge.ports import free_port
from apiforge.settings import Settings

SANDBOX_FIRST_UID = "APIFORGE_SANDBOX_FIRST_UID"
DEFAULT_FIRST_UID: int = Settings.model_fields["sandbox_first_uid"].default


def worker_uid(uid: int) -> int:
    """``uid`` moved into this pytest-xdist worker's own block (gw0 keeps it): a sandbox slot's
    cleanup ends every process of its uid, so two workers must never validate under one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    return uid + 10_000 * int(worker or "0")


# For servers shared by many tests (a session's live server, the fuzzed one, benchmarks): all
# their requests act as one user, so the per-user limits would count a whole run as one
# person's minute. Off there; tests/core/test_core_limits.py tests the defaults.
NO_LIMITS = {
    "APIFORGE_LIMIT_GENERATIONS": "0",
    "APIFORGE_LIMIT_WRITES_PER_MINUTE": "0",
    "APIFORGE_LIMIT_VERSIONS_PER_HOUR": "0",
}


class ServerProcess:
    def __init__(
        self, data_dir: Path, env: dict[str, str] | None = None, python: str = sys.executable
    ) -> None:
        self.data_dir = data_dir
        self.python = python
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "APIFORGE_DATA_DIR": str(data_dir),
            "APIFORGE_VALIDATOR": "none",
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "server.log"
        # Set: stderr goes there, apart from stdout (tests of what the logs look like).
        self.stderr_path: Path | None = None

    def start(self, timeout: float = 30.0) -> None:
        self.spawn()
        try:
            self.wait_until_serving(timeout)
        except BaseException:
            # A fixture whose start failed never reaches its stop(): the server would outlive
            # the run (and keep a core busy) unless it is ended here.
            self.kill()
            raise

    def spawn(self) -> None:
        """Start the process without waiting (several servers starting at once)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.ExitStack() as files:
            log = files.enter_context(self.log_path.open("ab"))
            stderr: IO[bytes] | int = subprocess.STDOUT
            if self.stderr_path is not None:
                stderr = files.enter_context(self.stderr_path.open("ab"))
            self.process = subprocess.Popen(
                self.serve_command(),
                env=self.worker_env(),
                stdout=log,
                stderr=stderr,
                start_new_session=True,
            )

    def wait_until_serving(self, timeout: float = 30.0) -> None:
        assert self.process is not None, "spawn() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server did not start:\n{self.log_path.read_text()[-3000:]}")

    def worker_env(self) -> dict[str, str]:
        """``env`` (as tests left it, possibly after construction) with this worker's uids."""
        first = int(self.env.get(SANDBOX_FIRST_UID, DEFAULT_FIRST_UID))
        return {**self.env, SANDBOX_FIRST_UID: str(worker_uid(first))}

    def serve_command(self) -> list[str]:
        return [self.python, "-m", "apiforge.cli", "serve", "--port", str(self.port)]

    def stop(self) -> None:
        """Graceful stop (SIGTERM), as a service manager would do."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """Abrupt death (SIGKILL): nothing gets flushed."""
        self._end(signal.SIGKILL)

    def _end(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()
