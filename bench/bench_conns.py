"""Many idle SSE connections on ONE apiforge server process: memory per connection and fan-out.

N raw-socket subscribers (one client process, asyncio) attach to one project's stream and stay
idle; the server's RSS before and after gives memory per connection. Then a follow-up version
of that project is generated with all N attached, and every subscriber stamps each event it
reads: emit → receive p50/p99 per event type for the first events (`version:start`, the first
`step:start`) and over the whole generation. The file limit is raised here (soft to hard, and
the hard limit too where allowed) before the server starts, so the server inherits it.

Run: ``.venv-dev/bin/python bench/bench_conns.py [N]`` (default 10000; ``make bench-conns``).
Goal (issue #16): 10,000 connections, ≤ 35 KB each.
"""

from __future__ import annotations

import asyncio
import os
import platform
import resource
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_core import PROMPT, last_event_id, pct, wait_idle  # noqa: E402
from raw_sse import Subscriber  # noqa: E402

from tests.server_process import NO_LIMITS, ServerProcess  # noqa: E402

BATCH = 500  # connections opened at once: below uvicorn's listen backlog (2048)
SPARE_FDS = 1000  # files the processes need besides the sockets


def raise_file_limit(needed: int) -> int:
    """The soft RLIMIT_NOFILE raised to ``needed`` (the hard one too, if this user may)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < needed:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, needed))
            return needed
        except (ValueError, OSError):
            print(f"cannot raise the hard file limit {hard} to {needed}", file=sys.stderr)
    target = min(max(soft, needed), hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def rss_kib(pid: int) -> int:
    for text in Path(f"/proc/{pid}/status").read_text().splitlines():
        if text.startswith("VmRSS:"):
            return int(text.split()[1])
    raise RuntimeError("no VmRSS")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def attach_all(url: str, path: str, last_id: int, n: int) -> list[Subscriber]:
    host, port = url.removeprefix("http://").split(":")
    subscribers: list[Subscriber] = []
    for start in range(0, n, BATCH):
        batch = [Subscriber() for _ in range(min(BATCH, n - start))]
        results = await asyncio.gather(
            *(s.attach(host, int(port), path, last_id) for s in batch), return_exceptions=True
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        subscribers += [s for s, r in zip(batch, results, strict=True) if r is None]
        if failed:
            print(f"stopped at {len(subscribers)} connections: {failed[0]!r}")
            break
    return subscribers


def latencies_by_type(subscribers: list[Subscriber]) -> dict[str, list[float]]:
    """emit → receive per event type; the first ``step:start`` of each stream kept apart."""
    by_type: dict[str, list[float]] = defaultdict(list)
    for subscriber in subscribers:
        first_step = True
        for kind, ms in subscriber.latencies():
            if kind == "step:start" and first_step:
                kind, first_step = "step:start (first)", False
            by_type[kind].append(ms)
    return by_type


def report_fanout(subscribers: list[Subscriber], seconds: float) -> None:
    by_type = latencies_by_type(subscribers)
    every = [ms for values in by_type.values() for ms in values]
    complete = sum(1 for s in subscribers if s.lines and b"version:complete" in s.lines[-1][1])
    print(
        f"fan-out: {len(every)} deliveries to {len(subscribers)} subscribers in {seconds:.1f} s "
        f"({len(every) / seconds:.0f}/s); {complete} read version:complete"
    )
    for kind in ("version:start", "step:start (first)", "version:complete"):
        if values := by_type.get(kind):
            print(
                f"  {kind:<20} n={len(values):<6} p50={pct(values, 50):8.1f} ms  "
                f"p99={pct(values, 99):8.1f} ms"
            )
    if every:
        print(
            f"  {'all events':<20} n={len(every):<6} p50={pct(every, 50):8.1f} ms  "
            f"p99={pct(every, 99):8.1f} ms"
        )


async def fanout(
    client: httpx.AsyncClient, pid: str, subscribers: list[Subscriber], timeout: float
) -> None:
    readers = [asyncio.create_task(s.read_until_complete()) for s in subscribers]
    started = time.monotonic()
    response = await client.post(f"/api/projects/{pid}/versions", json={"prompt": "add sorting"})
    assert response.status_code == 202, response.text
    _done, pending = await asyncio.wait(readers, timeout=timeout)
    seconds = time.monotonic() - started
    for task in pending:
        task.cancel()
    if pending:
        print(
            f"fan-out: {len(pending)} subscribers had not read version:complete after "
            f"{timeout:.0f} s"
        )
    report_fanout(subscribers, seconds)


async def measure(server: ServerProcess, n: int) -> None:
    assert server.process is not None
    pid_os = server.process.pid
    async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:
        pid = (await client.post("/api/projects", json={"prompt": PROMPT})).json()["project"]["id"]
        await wait_idle(client, pid)
        last_id = await last_event_id(client, pid)
        path = f"/api/stream/{pid}"
        warm = await attach_all(server.url, path, last_id, 50)  # first-use allocations
        for s in warm:
            s.close()
        await asyncio.sleep(1.0)
        before, fds_before = rss_kib(pid_os), open_fds(pid_os)
        started = time.monotonic()
        subscribers = await attach_all(server.url, path, last_id, n)
        attach_s = time.monotonic() - started
        await asyncio.sleep(2.0)  # let the server settle (queues, buffers) before reading RSS
        after, fds_after = rss_kib(pid_os), open_fds(pid_os)
        held = len(subscribers)
        print(
            f"attached {held} of {n} in {attach_s:.1f} s; server fds {fds_before} → "
            f"{fds_after}; RSS {before / 1024:.1f} → {after / 1024:.1f} MiB"
        )
        per = (after - before) / held if held else 0.0
        verdict = "met" if per * 1024 <= 35_000 else "MISSED"  # 35 KB = 34.2 KiB
        print(f"memory per connection: {per:.1f} KiB (goal ≤ 35 KB = 34.2 KiB: {verdict})")
        await fanout(client, pid, subscribers, timeout=max(120.0, held / 25))
        print(f"server RSS after the fan-out: {rss_kib(pid_os) / 1024:.1f} MiB")
        for s in subscribers:
            s.close()


async def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    limit = raise_file_limit(n + SPARE_FDS)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"apiforge connections benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {load}")
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, {platform.platform()}, "
        f"Python {platform.python_version()}; client and server share the cores"
    )
    print(
        f"RLIMIT_NOFILE {limit} (client and server); fs.file-max "
        f"{Path('/proc/sys/fs/file-max').read_text().strip()}; {n} connections wanted"
    )
    data = Path(tempfile.mkdtemp(prefix="apiforge-conns-"))
    server = ServerProcess(data, env={"APIFORGE_ENGINE_DELAY_MS": "5", **NO_LIMITS})
    server.start()
    try:
        await measure(server, n)
    finally:
        server.stop()
    print(f"load at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    asyncio.run(main())
