"""The generation queue's limits on a real cluster: ``APIFORGE_WORKER_CONCURRENCY`` caps the
generations one worker runs at once, ``APIFORGE_QUEUE_CONCURRENCY`` those all workers run.

A generation runs from its ``version:start`` to its terminal event: both are stamped (``ts``)
by the worker that runs it, as it appends them, and read back from the event log, so the spans
are recorded, not sampled, and their overlap is exact. Each span lies inside the DBOS claim
the limits count (the workflow's ``begin`` step emits the start once a worker has dequeued
it; ``finish`` emits the end before the workflow completes and frees the slot), and the
processes share one clock (one machine): spans that overlap are generations the limits let
run at once. DBOS's own ``started_at_epoch_ms``/``updated_at`` would bound the claims
themselves, but not what a client sees running.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from itertools import combinations

import pytest

from apiforge.cluster import Cluster, Member
from tests.scale.conftest import Deployment, MakeCluster, create_project
from tests.scale.test_scale_cancel import executor_of
from tests.scale.test_scale_stranded import version_status
from tests.sse_reader import read_until_terminal

pytestmark = [pytest.mark.scale, pytest.mark.slow]

# The offline engine paced so that a generation lasts ~2 s: far longer than a worker's poll
# (100 ms), so generations a limit lets start together do run together.
DELAY_MS = "10"


@dataclass(frozen=True)
class Run:
    """One generation: when it ran (its events' ``ts``), where, and how it ended."""

    project_id: str
    start: float
    end: float
    executor_id: str
    status: str


def overlap(a: Run, b: Run) -> bool:
    return a.start < b.end and b.start < a.end


def most_at_once(runs: list[Run]) -> int:
    """The most runs under way at one instant (one ending as another starts: not both)."""
    edges = sorted([(run.start, 1) for run in runs] + [(run.end, -1) for run in runs])
    most = under_way = 0
    for _, change in edges:
        under_way += change
        most = max(most, under_way)
    return most


async def create_projects_at_once(api_url: str, count: int) -> list[tuple[str, str]]:
    """``count`` new projects, their creations sent together: (project id, workflow id)."""
    created = [asyncio.to_thread(create_project, api_url) for _ in range(count)]
    return list(await asyncio.gather(*created))


async def run_of(api_url: str, dbos_url: str, project_id: str, workflow_id: str) -> Run:
    """The first generation of ``project_id``, once it has ended."""
    frames = await asyncio.wait_for(read_until_terminal(api_url, project_id, 1), 60)
    start = next(frame for frame in frames if frame.event == "version:start")
    return Run(
        project_id,
        float(start.data["ts"]),
        float(frames[-1].data["ts"]),
        executor_of(dbos_url, workflow_id),
        version_status(api_url, project_id),
    )


async def generate(api_url: str, dbos_url: str, count: int) -> list[Run]:
    """``count`` projects created at once, each followed to the end of its generation."""
    created = await create_projects_at_once(api_url, count)
    return list(await asyncio.gather(*(run_of(api_url, dbos_url, *pair) for pair in created)))


def restart(cluster: Cluster, member: Member, timeout: float = 60) -> None:
    member.end()
    cluster.respawn(member)
    cluster.wait_ready([member], timeout)


async def test_a_worker_runs_at_most_its_worker_concurrency(
    make_cluster: MakeCluster, deployment: Deployment
) -> None:
    # The setting is the worker's own; the API process has the default (2), and starts again
    # after the worker: it must not put its own limit in place of the worker's.
    own = {"worker-1": {"APIFORGE_WORKER_CONCURRENCY": "1"}}
    cluster = make_cluster(1, 1, delay_ms=DELAY_MS, own=own)
    api = cluster.apis[0]
    restart(cluster, api)
    runs = await generate(api.url, deployment.dbos_url, 3)
    assert [run.status for run in runs] == ["complete"] * 3
    assert {run.executor_id for run in runs} == {cluster.workers[0].executor_id}
    assert most_at_once(runs) == 1, runs


async def test_all_workers_run_at_most_the_queue_concurrency(
    make_cluster: MakeCluster, deployment: Deployment
) -> None:
    # Each worker could run two; the cluster runs one at a time.
    limits = {"APIFORGE_WORKER_CONCURRENCY": "2", "APIFORGE_QUEUE_CONCURRENCY": "1"}
    cluster = make_cluster(1, 2, delay_ms=DELAY_MS, own={"worker-1": limits, "worker-2": limits})
    runs = await generate(cluster.apis[0].url, deployment.dbos_url, 3)
    assert [run.status for run in runs] == ["complete"] * 3
    assert most_at_once(runs) == 1, runs


async def test_without_a_queue_limit_two_workers_run_at_once(
    make_cluster: MakeCluster, deployment: Deployment
) -> None:
    # The same cluster without the queue's limit: four generations, two at most on each worker,
    # so the other worker runs some while the first runs its own.
    limits = {"APIFORGE_WORKER_CONCURRENCY": "2", "APIFORGE_QUEUE_CONCURRENCY": "0"}
    cluster = make_cluster(1, 2, delay_ms=DELAY_MS, own={"worker-1": limits, "worker-2": limits})
    runs = await generate(cluster.apis[0].url, deployment.dbos_url, 4)
    assert [run.status for run in runs] == ["complete"] * 4
    assert most_at_once(runs) >= 2, runs
    pairs = combinations(runs, 2)
    assert any(overlap(a, b) and a.executor_id != b.executor_id for a, b in pairs), runs
