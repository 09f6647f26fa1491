from __future__ import annotations

import os
import resource
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from pathlib import Path

import pytest

from apiforge.sandbox.bwrap import SandboxLimits
from apiforge.sandbox.runner import SandboxRunner, detect_tools
from apiforge.sandbox.runtime import current_runtime, find_bwrap
from apiforge.sandbox.workdir import create_job, remove_job
from apiforge.settings import Settings
from tests.server_process import worker_uid

# Per xdist worker: two workers' sandboxes never share a uid, nor see each other's processes.
FIRST_UID = worker_uid(63000)
UID_RANGE = range(FIRST_UID, FIRST_UID + 200)
RUNNER_UID = FIRST_UID + 150

BWRAP_MISSING = find_bwrap() is None
needs_bwrap = pytest.mark.skipif(
    BWRAP_MISSING and os.geteuid() != 0,
    reason="bubblewrap is not installed and we are not root to install it "
    "(as root: bash scripts/install-system-deps.sh)",
)

RunnerFactory = Callable[[Mapping[str, str]], Awaitable[SandboxRunner]]


def sandbox_pids() -> list[int]:
    """Processes running as any of the test uids."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("Uid:") and int(line.split()[1]) in UID_RANGE:
                found.append(int(entry.name))
    return found


def wait_no_sandbox_pids(timeout: float = 3.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := sandbox_pids()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


@pytest.fixture(autouse=True)
def nothing_left_behind() -> Iterator[None]:
    """Every sandbox test must leave no process behind and the test process untouched."""
    before = [resource.getrlimit(r) for r in (resource.RLIMIT_NPROC, resource.RLIMIT_AS)]
    yield
    if os.geteuid() == 0:
        assert wait_no_sandbox_pids() == []
    after = [resource.getrlimit(r) for r in (resource.RLIMIT_NPROC, resource.RLIMIT_AS)]
    assert after == before


@pytest.fixture
def sandbox_settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        sandbox_first_uid=FIRST_UID,
        sandbox_boot_timeout_s=20.0,
        sandbox_tests_timeout_s=40.0,
        sandbox_fuzz_s=0.5,
        sandbox_max_processes=64,
    )


TEST_LIMITS = SandboxLimits(
    processes=64, disk_bytes=16 * 1024 * 1024, file_size_bytes=16 * 1024 * 1024
)


@pytest.fixture
async def make_runner(tmp_path: Path) -> AsyncIterator[RunnerFactory]:
    tools = detect_tools(allow_unsafe=False)
    jobs = []

    async def make(files: Mapping[str, str]) -> SandboxRunner:
        uid = RUNNER_UID if os.geteuid() == 0 else None
        job = create_job(tmp_path / "jobs", files, uid, unsafe=False)
        jobs.append(job)
        return SandboxRunner(tools, current_runtime(), job, uid, TEST_LIMITS)

    yield make
    for job in jobs:
        remove_job(job)
