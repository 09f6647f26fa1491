"""Where the CPU went during a benchmark window: per process tree (the process, its live
descendants and those they reaped, so a worker's sandboxes count as the worker's), its own
Python process alone, this process, and the whole machine."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

TICK_S = 1 / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcStat:
    parent: int
    own_s: float  # utime + stime: the process itself, all its threads
    reaped_s: float  # cutime + cstime: the children it has waited for


def proc_stats() -> dict[int, ProcStat]:
    """Every process of the machine now (one that exits meanwhile is left out)."""
    stats = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        utime, stime, cutime, cstime = (int(ticks) * TICK_S for ticks in fields[11:15])
        stats[int(stat.parent.name)] = ProcStat(int(fields[1]), utime + stime, cutime + cstime)
    return stats


def tree_cpu_s(stats: dict[int, ProcStat], root: int) -> float:
    """CPU seconds of ``root``'s tree: each live member's own and reaped time (a child's time
    moves into its parent's reaped time when it is waited for, so the sum only grows)."""
    children: dict[int, list[int]] = {}
    for pid, stat in stats.items():
        children.setdefault(stat.parent, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid].own_s + stats[pid].reaped_s
        todo.extend(children.get(pid, []))
    return total


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_cpu_s() -> tuple[float, float]:
    """(busy, all) CPU seconds of the machine since boot, every core summed."""
    ticks = [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks) - idle) * TICK_S, sum(ticks) * TICK_S


@dataclass(frozen=True)
class CpuSample:
    at: float
    processes: dict[str, float]  # trees
    pythons: dict[str, float]  # their root processes alone
    own: float
    machine_busy: float
    machine_all: float


def sample(processes: Iterable[tuple[str, int]]) -> CpuSample:
    busy, every = machine_cpu_s()
    stats = proc_stats()
    named = list(processes)
    trees = {name: tree_cpu_s(stats, pid) for name, pid in named}
    pythons = {name: stats[pid].own_s for name, pid in named}
    return CpuSample(time.monotonic(), trees, pythons, own_cpu_s(), busy, every)


@dataclass(frozen=True)
class CpuUse:
    """Cores used on average over a window (1.0: one core busy all the time)."""

    processes: dict[str, float]  # trees
    pythons: dict[str, float]  # the trees' root processes alone
    own: float
    machine: float  # every process of the machine: ours, PostgreSQL, Redis, other users
    cores: int

    def of(self, prefix: str) -> list[tuple[float, float]]:
        """(tree, its Python process alone) of each process named ``prefix``…"""
        names = [name for name in self.processes if name.startswith(prefix)]
        return [(self.processes[name], self.pythons[name]) for name in names]

    @property
    def rest(self) -> float:
        """Neither the cluster nor this process: PostgreSQL, Redis and everybody else."""
        return self.machine - sum(self.processes.values()) - self.own


def between(before: CpuSample, after: CpuSample) -> CpuUse:
    wall = after.at - before.at

    def rates(start: dict[str, float], end: dict[str, float]) -> dict[str, float]:
        return {name: (end[name] - start[name]) / wall for name in start}

    share = (after.machine_busy - before.machine_busy) / (after.machine_all - before.machine_all)
    cores = os.cpu_count() or 1
    own = (after.own - before.own) / wall
    trees, pythons = rates(before.processes, after.processes), rates(before.pythons, after.pythons)
    return CpuUse(trees, pythons, own, share * cores, cores)
