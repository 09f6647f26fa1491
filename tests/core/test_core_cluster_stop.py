"""``scripts/cluster.sh stop`` (``apiforge.cluster.stop_recorded``) on real processes: it
counts only the members still running (a worker killed with ``kill -9`` before was counted
as stopped) and returns once they are gone, so the databases can be dropped right after."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from apiforge.cluster import PIDS_FILE, Cluster, _report_exits, stop_recorded

# A member that takes a moment to stop after SIGTERM, as a server does.
SLOW_TO_STOP = "trap 'sleep 0.5; kill $!; exit 0' TERM; sleep 30 & wait"


def test_stop_counts_the_running_members_and_waits_for_them(tmp_path: Path) -> None:
    runner = subprocess.Popen(["sleep", "30"], start_new_session=True)
    dead = subprocess.Popen(["sleep", "30"], start_new_session=True)
    live = subprocess.Popen(["bash", "-c", SLOW_TO_STOP], start_new_session=True)
    try:
        time.sleep(0.2)  # bash has set its trap
        dead.kill()
        dead.wait()
        pids = (runner.pid, dead.pid, live.pid)
        (tmp_path / PIDS_FILE).write_text("".join(f"{pid}\n" for pid in pids))
        # The runner reaps its members; here that is this thread's.
        reaper = threading.Thread(target=live.wait)
        reaper.start()
        started = time.monotonic()
        assert stop_recorded(tmp_path) == 1
        assert 0.4 < time.monotonic() - started < 5  # it waited for the member, not longer
        reaper.join(timeout=1)
        assert live.returncode == 0
        assert not (tmp_path / PIDS_FILE).exists()
    finally:
        for process in (runner, dead, live):
            process.kill()
            process.wait()


def test_the_running_script_says_once_that_a_member_died(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = Cluster(tmp_path, apis=0, workers=2)
    worker, other = cluster.members
    worker.process = subprocess.Popen(["sleep", "30"], start_new_session=True)
    other.process = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        exited: set[str] = set()
        _report_exits(cluster, exited)
        worker.process.kill()
        worker.process.wait()
        _report_exits(cluster, exited)
        _report_exits(cluster, exited)
        said = capsys.readouterr().out.splitlines()
        assert said == [f"worker-1  pid {worker.pid}  exited (-9); the others go on"]
    finally:
        cluster.stop()
