"""CLI latency: ``apiforge projects`` as a user runs it, wall clock of the whole process.

Against a running server (found through the data dir's lock, and at the configured address),
and embedded (no server: the command starts one on the data dir). Goal: < 1 s with a server.
Then ``apiforge generate`` embedded, with the sandbox when bubblewrap is there (validation and
previews, as a newcomer runs it): how long the process takes to exit after its last line of
output, the embedded server's whole stop. Goal: < 1 s.
Run: .venv/bin/python bench/bench_cli.py
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from apiforge.ports import free_port  # noqa: E402
from tests.server_process import NO_LIMITS, ServerProcess  # noqa: E402

RUNS = 7
GENERATE_RUNS = 5  # each a whole generation (~4 s with the sandbox on an idle machine)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_projects(data_dir: Path, port: int) -> tuple[list[float], list[float]]:
    """Wall clock and CPU time (user+sys: what load from other processes does not inflate)."""
    env = {
        **os.environ,
        "APIFORGE_DATA_DIR": str(data_dir),
        "APIFORGE_PORT": str(port),
        "APIFORGE_VALIDATOR": "none",
    }
    times, cpu = [], []
    for _ in range(RUNS):
        start, start_cpu = time.perf_counter(), cpu_seconds()
        subprocess.run(
            [sys.executable, "-m", "apiforge.cli", "projects"],
            env=env,
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - start)
        cpu.append(cpu_seconds() - start_cpu)
    return times, cpu


def time_generate_exit(data_dir: Path) -> tuple[list[float], list[float]]:
    """Per run: seconds from the last output line to the process's exit, and the whole run."""
    env = {**os.environ, "APIFORGE_DATA_DIR": str(data_dir), "APIFORGE_PORT": str(free_port())}
    env.update(NO_LIMITS)
    after_last, whole = [], []
    for i in range(GENERATE_RUNS):
        command = [sys.executable, "-m", "apiforge.cli", "generate", f"a todo API with tags {i}"]
        start = time.perf_counter()
        child = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        assert child.stdout is not None
        last_line = start
        for _ in child.stdout:
            last_line = time.perf_counter()
        if child.wait() != 0:
            raise RuntimeError(f"generate exited {child.returncode}")
        end = time.perf_counter()
        after_last.append(end - last_line)
        whole.append(end - start)
    return after_last, whole


def add_projects(url: str, n: int) -> None:
    """``n`` projects, their generations finished (so they do not compete with the timing)."""
    for i in range(n):
        httpx.post(f"{url}/api/projects", json={"prompt": f"a todo API with tasks {i}"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        projects = httpx.get(f"{url}/api/projects").json()["projects"]
        if all(p["latest_version"]["status"] not in {"pending", "running"} for p in projects):
            return
        time.sleep(0.2)


def report(name: str, measured: tuple[list[float], list[float]], goal: str) -> None:
    times, cpu = measured
    print(
        f"{name:<40} n={len(times)}  wall median={statistics.median(times):.2f} s "
        f"max={max(times):.2f} s  cpu median={statistics.median(cpu):.2f} s   goal {goal}"
    )


def main() -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{datetime.now(UTC):%Y-%m-%d} {platform.node()}, {os.cpu_count()} cpus, load {load}")
    with tempfile.TemporaryDirectory(prefix="apiforge-bench-cli-") as scratch:
        server = ServerProcess(Path(scratch) / "served", env=NO_LIMITS)
        server.start()
        try:
            add_projects(server.url, 5)
            report("projects, server found via data dir", time_projects(server.data_dir, 1), "<1s")
            elsewhere = Path(scratch) / "other"
            report(
                "projects, server at configured address",
                time_projects(elsewhere, server.port),
                "<1s",
            )
        finally:
            server.stop()
        report("projects, embedded (no server)", time_projects(server.data_dir, free_port()), "-")
        sandbox = "sandbox" if shutil.which("bwrap") else "no bwrap: no validation, no previews"
        after_last, whole = time_generate_exit(Path(scratch) / "generated")
        print(
            f"{'generate, embedded: exit after last line':<40} n={len(after_last)}  "
            f"median={statistics.median(after_last):.2f} s max={max(after_last):.2f} s  "
            f"(whole run median={statistics.median(whole):.2f} s; {sandbox})   goal <1s"
        )


if __name__ == "__main__":
    main()
