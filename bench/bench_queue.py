"""Queue wait (issue #15): how long a generation queued by an API process waits for a worker.

One API process and one worker (apiforge/cluster.py) on fresh PostgreSQL databases and a fresh
Redis prefix, validation off; N generations one after the other, each followed to its end. The
figure is POST sent (client clock) → ``version:start``'s ``ts`` (stamped by the worker when it
began the generation; same machine, same clock), per worker queue poll
(``APIFORGE_QUEUE_POLL_MS``; empty: the product's default).

Run: ``.venv-dev/bin/python bench/bench_queue.py [n] [poll_ms ...]``, e.g. ``15 1000 100``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_cluster import BENCH_FIRST_UID, create, follow, fresh_deployment  # noqa: E402

from apiforge.cluster import FIRST_UID, Cluster  # noqa: E402


async def queue_waits(url: str, n: int) -> list[float]:
    """Milliseconds from each POST to its version's start on the worker (after one warm-up)."""
    waits: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        for _ in range(n + 1):
            sent = time.time()
            stream = await follow(url, await create(http), 0)
            start = next(
                json.loads(line[6:]) for _, line in stream.lines if b'"version:start"' in line
            )
            waits.append((start["ts"] - sent) * 1000)
    return waits[1:]


async def run(poll_ms: str, n: int) -> list[float]:
    with fresh_deployment() as deployment, tempfile.TemporaryDirectory() as root:
        env = {**deployment.env(bus="redis"), "APIFORGE_VALIDATOR": "none"}
        env[FIRST_UID] = BENCH_FIRST_UID
        if poll_ms:
            env["APIFORGE_QUEUE_POLL_MS"] = poll_ms
        cluster = Cluster(Path(root), 1, 1, env=env, prefix="bench-queue-")
        try:
            cluster.start(120)
            return await queue_waits(cluster.apis[0].url, n)
        finally:
            cluster.stop(signal.SIGKILL)


async def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    polls = sys.argv[2:] or ["1000", ""]
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"apiforge queue wait — {now}, load {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores")
    for poll in polls:
        waits = sorted(await run(poll, n))
        print(
            f"poll {poll or 'default'} ms: n={len(waits)} POST → version:start median "
            f"{statistics.median(waits):.0f} ms (min {waits[0]:.0f}, max {waits[-1]:.0f}); "
            f"load {os.getloadavg()[0]:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main())
