"""scripts/cluster.sh: starts the processes, says where they are, and `stop` ends them all."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.scale.conftest import Deployment

pytestmark = [pytest.mark.scale, pytest.mark.slow]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "cluster.sh"
MEMBER = re.compile(r"^(\S+)  pid (\d+)  (\S+)  log ")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_cluster_script_prints_where_each_process_is_and_stops_them(
    deployment: Deployment, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        **deployment.env(bus="redis"),
        "APIFORGE_VALIDATOR": "none",
        "APIFORGE_PYTHON": sys.executable,
    }
    where = ["--dir", str(tmp_path / "cluster")]
    with subprocess.Popen(
        [SCRIPT, "--api", "1", "--workers", "1", *where], env=env, stdout=subprocess.PIPE, text=True
    ) as runner:
        try:
            members = read_members(runner)
            assert set(members) == {"api-1", "worker-1"}
            assert members["worker-1"][1] == "worker"
            health = httpx.get(f"{members['api-1'][1]}/api/health", timeout=5)
            assert health.status_code == 200
            stop = subprocess.run([SCRIPT, "stop", *where], env=env, capture_output=True, text=True)
            assert stop.stdout.strip() == "stopped 2 process(es)"
            assert runner.wait(timeout=30) == 0
            assert not any(alive(pid) for pid, _ in members.values())
        finally:
            if runner.poll() is None:
                runner.kill()


def read_members(runner: subprocess.Popen[str]) -> dict[str, tuple[int, str]]:
    """What the script printed: name → (pid, URL or "worker")."""
    assert runner.stdout is not None
    members = {}
    for line in runner.stdout:
        if line.startswith("Ctrl-C"):
            break
        found = MEMBER.match(line)
        assert found, line
        members[found.group(1)] = (int(found.group(2)), found.group(3))
    return members
