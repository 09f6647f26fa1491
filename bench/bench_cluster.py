"""Scale-out benchmark (issue #15): 1 or 2 API processes and 1 or 2 workers (apiforge/cluster.py)
on this machine's PostgreSQL and Redis, with validation off and on (offline engine, unpaced).

Per layout: fresh app and DBOS databases and a fresh Redis key prefix (dropped and deleted
after), the processes started, then a fixed load of C clients spread round-robin over the API
processes, each creating a project and streaming it to its end, again and again: generations
completed per minute in the measured window (after a warm-up that lasts until the load's
first generation ended, so that a window shorter than a generation still counts). One more
project, queued before the load, is followed from its start by S raw-socket subscribers spread
over the API processes: emit → receive of each event emitted after its subscriber attached (the
event's ``ts``, stamped where it was emitted, to the line's arrival; one clock), and the mean
Redis → API fan-out part of it (the API processes' ``apiforge_bus_lag_seconds``). And where the
CPU went in the window: each process of the cluster with its descendants (a worker's
sandboxes), its Python process alone, this client, and the whole machine (the rest:
PostgreSQL, Redis and everybody else).

Run: ``.venv-dev/bin/python bench/bench_cluster.py [clients] [window_s] [subscribers] [delay]``
(delay: the offline engine's ms per chunk, 0 by default: generations as fast as the CPU goes)
(``make bench-cluster``: 6 clients, 30 s windows, 40 subscribers; 8 layouts, 1-2 min each
with start-up and warm-up, ~12 min in all on the loaded 2-core VM).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import redis
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import cpu_usage  # noqa: E402
from bench_core import PROMPT, pct  # noqa: E402
from raw_sse import Subscriber, attached  # noqa: E402

from apiforge.cluster import FIRST_UID, Cluster  # noqa: E402
from tests.scale.conftest import PG_ADMIN, REDIS_URL, Deployment  # noqa: E402

LAYOUTS = ((1, 1), (1, 2), (2, 1), (2, 2))  # (API processes, workers)
VALIDATORS = {"off": "none", "on": "sandbox"}
# Away from the tests' uids (62000 + 10,000 per xdist worker, 63000-64900): other sessions'
# test runs on this machine must not have their sandboxes ended by ours, nor ours by theirs.
BENCH_FIRST_UID = "66000"


@dataclass(frozen=True)
class Sizes:
    clients: int = 6
    window_s: float = 30.0
    warm_s: float = 5.0  # at least; and until the load's first generation ended
    warm_max_s: float = 120.0
    subscribers: int = 40
    engine_delay_ms: int = 0  # the offline engine's pause per chunk (0: as fast as it can)


@dataclass
class Result:
    apis: int
    workers: int
    validation: str
    completed: int = 0  # generations whose end the clients saw in the window
    not_complete: int = 0  # ... of which ended failed, cancelled or with an error
    window_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    bus_lag_ms: float = 0.0  # mean, Redis XADD → fan-out in the API processes, in the window
    cpu: cpu_usage.CpuUse | None = None
    # Seconds of what surrounds the window (start, first project, drain, stop), for the log.
    phases: dict[str, float] = field(default_factory=dict)

    def took(self, phase: str, since: float) -> None:
        self.phases[phase] = time.monotonic() - since

    @property
    def per_minute(self) -> float:
        return self.completed / self.window_s * 60


@contextlib.contextmanager
def fresh_deployment() -> Iterator[Deployment]:
    """New app and DBOS databases and a new Redis key prefix; all gone afterwards."""
    names = [f"apiforge_bench_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    prefix = f"apiforge-bench-{uuid.uuid4().hex[:12]}:"
    server = PG_ADMIN.rsplit("/", 1)[0]
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as admin:
        try:
            for name in names:
                admin.execute(f'CREATE DATABASE "{name}"')
            app = f"{server.replace('postgresql://', 'postgresql+asyncpg://')}/{names[0]}"
            yield Deployment(app, f"{server}/{names[1]}", prefix)
        finally:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            client = redis.Redis.from_url(REDIS_URL)
            if keys := list(client.scan_iter(match=f"{prefix}*")):
                client.delete(*keys)
            client.close()


async def follow(url: str, pid: str, last_id: int) -> Subscriber:
    """A subscriber of ``pid`` on ``url``, read until the version ends."""
    stream = await attached(url, f"/api/stream/{pid}", last_id)
    try:
        await asyncio.wait_for(stream.read_until_complete(), 300)
    finally:
        stream.close()
    return stream


async def create(http: httpx.AsyncClient) -> str:
    response = await http.post("/api/projects", json={"prompt": PROMPT})
    assert response.status_code == 201, response.text
    pid: str = response.json()["project"]["id"]
    return pid


async def load_client(url: str, ends: list[tuple[float, bool]]) -> None:
    """Create a project, stream it to its end, again, until cancelled; each end's time and
    whether the version completed go to ``ends``."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        while True:
            stream = await follow(url, await create(http), 0)
            last = stream.last_event()
            ok = last["type"] == "version:complete" and last["status"] == "complete"
            ends.append((time.monotonic(), ok))


async def latency_probe(urls: list[str], count: int) -> list[float]:
    """A new project, followed from its start by ``count`` subscribers spread over ``urls``:
    emit → receive of each event emitted after its subscriber attached, in ms."""
    async with httpx.AsyncClient(base_url=urls[0], timeout=60) as http:
        pid = await create(http)
    path = f"/api/stream/{pid}"
    streams = [await attached(urls[i % len(urls)], path, 0) for i in range(count)]
    try:
        await asyncio.wait_for(asyncio.gather(*(s.read_until_complete() for s in streams)), 300)
    finally:
        for stream in streams:
            stream.close()
    return [ms for stream in streams for ms in stream.live_latencies()]


async def bus_lag(urls: list[str]) -> tuple[float, int]:
    """The API processes' ``apiforge_bus_lag_seconds{bus="redis"}``: (sum in s, count), added."""
    total, count = 0.0, 0
    for url in urls:
        async with httpx.AsyncClient(timeout=10) as http:
            text = (await http.get(f"{url}/metrics")).text
        for family in text_string_to_metric_families(text):
            if family.name != "apiforge_bus_lag_seconds":
                continue
            for metric in family.samples:
                if metric.labels.get("bus") == "redis" and metric.name.endswith("_sum"):
                    total += metric.value
                elif metric.labels.get("bus") == "redis" and metric.name.endswith("_count"):
                    count += int(metric.value)
    return total, count


def members(cluster: Cluster) -> list[tuple[str, int]]:
    return [(member.name, member.pid) for member in cluster.members]


async def warmed_up(ends: list[tuple[float, bool]], sizes: Sizes) -> None:
    """At least ``warm_s``, and until the load's first generation has ended (at most
    ``warm_max_s``): from then on generations end as steadily as they start."""
    deadline = time.monotonic() + sizes.warm_max_s
    await asyncio.sleep(sizes.warm_s)
    while not ends and time.monotonic() < deadline:
        await asyncio.sleep(0.1)


async def measure(cluster: Cluster, sizes: Sizes, result: Result) -> None:
    """The latency probe's generation first in the queue, then the load; after the warm-up
    (:func:`warmed_up`), the window. The probe runs beside the load's generations (a worker
    runs several at once); should it outlast the window, the clients go on until it ends."""
    urls = [api.url for api in cluster.apis]
    ends: list[tuple[float, bool]] = []
    probe = asyncio.create_task(latency_probe(urls, sizes.subscribers))
    clients = [load_client(urls[i % len(urls)], ends) for i in range(sizes.clients)]
    load = asyncio.gather(*clients)
    since = time.monotonic()
    await warmed_up(ends, sizes)
    result.took("warm-up", since)
    before, lag_before = cpu_usage.sample(members(cluster)), await bus_lag(urls)
    await asyncio.sleep(sizes.window_s)
    after, lag_after = cpu_usage.sample(members(cluster)), await bus_lag(urls)
    lags = lag_after[1] - lag_before[1]
    result.bus_lag_ms = (lag_after[0] - lag_before[0]) / max(lags, 1) * 1000
    in_window = [ok for at, ok in ends if before.at <= at < after.at]
    result.completed, result.not_complete = len(in_window), in_window.count(False)
    result.window_s, result.cpu = after.at - before.at, cpu_usage.between(before, after)
    since = time.monotonic()
    try:
        result.latencies_ms = await asyncio.wait_for(probe, 300)
    finally:
        result.took("probe after the window", since)
        load.cancel()  # generations under way die with the cluster: its databases go too
        with contextlib.suppress(asyncio.CancelledError):
            await load


async def run_layout(apis: int, workers: int, validation: str, sizes: Sizes) -> Result:
    result = Result(apis, workers, validation)
    with fresh_deployment() as deployment, tempfile.TemporaryDirectory() as root:
        env = {
            **deployment.env(bus="redis"),
            "APIFORGE_VALIDATOR": VALIDATORS[validation],
            "APIFORGE_ENGINE_DELAY_MS": str(sizes.engine_delay_ms),
            FIRST_UID: BENCH_FIRST_UID,
        }
        cluster = Cluster(Path(root), apis, workers, env=env, prefix="bench-")
        try:
            since = time.monotonic()
            cluster.start(120)
            result.took("start", since)
            await measure(cluster, sizes, result)
        finally:
            since = time.monotonic()
            cluster.stop(signal.SIGKILL)
            result.took("stop", since)
    return result


def cores(values: list[tuple[float, float]]) -> str:
    """Each process's cores, with its Python process's alone where its children used some."""
    shown = [
        f"{tree:.2f}" if tree - python < 0.01 else f"{tree:.2f} ({python:.2f})"
        for tree, python in values
    ]
    return " + ".join(shown)


def row(result: Result) -> str:
    cpu = result.cpu
    assert cpu is not None
    lat = result.latencies_ms
    failed = f", {result.not_complete} not complete" if result.not_complete else ""
    return (
        f"| {result.apis} | {result.workers} | {result.validation} | "
        f"**{result.per_minute:.0f}** ({result.completed}{failed}) | "
        f"{pct(lat, 50):.0f} | {pct(lat, 99):.0f} ({len(lat)}) | {result.bus_lag_ms:.0f} | "
        f"{cores(cpu.of('api-'))} | {cores(cpu.of('worker-'))} | {cpu.own:.2f} | "
        f"{cpu.rest:.2f} | {cpu.machine:.2f} of {cpu.cores} |"
    )


HEADER = (
    "| API | workers | validation | generations/min (n) | emit→receive p50 ms | p99 ms (n) | "
    "of which Redis → API fan-out, mean ms | "
    "CPU cores: API processes | workers (Python alone) | bench client | rest | machine |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def main() -> None:
    numbers = [float(arg) for arg in sys.argv[1:5]]
    defaults = Sizes()
    sizes = Sizes(
        clients=int(numbers[0]) if numbers else defaults.clients,
        window_s=numbers[1] if len(numbers) > 1 else defaults.window_s,
        subscribers=int(numbers[2]) if len(numbers) > 2 else defaults.subscribers,
        engine_delay_ms=int(numbers[3]) if len(numbers) > 3 else defaults.engine_delay_ms,
    )
    started = time.monotonic()
    print(
        f"apiforge scale-out — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {load_average()}; "
        f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{sizes.clients} clients, warm-up until a first generation ended (at least "
        f"{sizes.warm_s:.0f} s), then a {sizes.window_s:.0f} s window; "
        f"{sizes.subscribers} subscribers; engine delay {sizes.engine_delay_ms} ms per chunk",
        flush=True,
    )
    results = []
    for validation in VALIDATORS:
        for apis, workers in LAYOUTS:
            results.append(await run_layout(apis, workers, validation, sizes))
            phases = ", ".join(f"{k} {v:.1f} s" for k, v in results[-1].phases.items())
            print(f"  {row(results[-1])}  load {load_average()}; {phases}", flush=True)
    print(f"\n{HEADER}")
    for result in results:
        print(row(result))
    minutes = (time.monotonic() - started) / 60
    print(f"\n{minutes:.1f} min; load at the end {load_average()}")


if __name__ == "__main__":
    asyncio.run(main())
