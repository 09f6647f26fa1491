"""Where an idle SSE connection's memory goes: tracemalloc in the server process.

The server runs in THIS process (``create_app`` under uvicorn on uvloop, as ``apiforge
serve``), with tracemalloc on; the subscribers are a child process (``--client``), so their
allocations are not traced. After N connections and again after N + STEP, the snapshot diff
grouped by traceback says which code holds the bytes of STEP more connections; the RSS delta
beside it says how much is outside the traced Python heap (allocator overhead, C buffers).

Run: ``PYTHONPATH=$PWD .venv-dev/bin/python bench/mem_conns.py [N] [STEP] [--trace]`` (default
2000 1000). Without ``--trace``: RSS and the GC-tracked objects by kind (coroutines by function:
the frames a stream holds). With it, tracemalloc runs from the first connection (so objects that
are replaced while idle, such as each heartbeat's timer, cancel out) and the server is ~3x
slower: use N = STEP = 1000.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import tempfile
import tracemalloc
import types
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_conns import raise_file_limit, rss_kib  # noqa: E402
from bench_core import PROMPT, last_event_id, wait_idle  # noqa: E402
from raw_sse import Subscriber  # noqa: E402

from apiforge.embedded import embedded_server  # noqa: E402
from apiforge.settings import Settings  # noqa: E402

FRAMES = 30
TOP = 25


async def run_client(url: str, path: str, last_id: int) -> None:
    """Child: attach as many subscribers as each stdin line says, answer "ok" when done."""
    host, port = url.removeprefix("http://").split(":")
    held: list[Subscriber] = []
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        count, size = (int(word) for word in line.split())
        batch = [Subscriber() for _ in range(count)]
        for start in range(0, len(batch), size):
            part = batch[start : start + size]
            await asyncio.gather(*(s.attach(host, int(port), path, last_id) for s in part))
        held += batch
        print(f"ok {len(held)}", flush=True)
    for subscriber in held:
        subscriber.close()


class Client:
    """The child process holding the connections."""

    def __init__(self, url: str, path: str, last_id: int) -> None:
        self.args = [__file__, "--client", url, path, str(last_id)]
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            *self.args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )

    async def attach(self, n: int, size: int = 500) -> str:
        assert self.process is not None and self.process.stdin and self.process.stdout
        self.process.stdin.write(f"{n} {size}\n".encode())
        await self.process.stdin.drain()
        return (await self.process.stdout.readline()).decode().strip()

    async def stop(self) -> None:
        assert self.process is not None and self.process.stdin
        self.process.stdin.close()
        await self.process.wait()


def census() -> Counter[str]:
    """Bytes of every GC-tracked object by kind (coroutines by function: their frames)."""
    sizes: Counter[str] = Counter()
    for obj in gc.get_objects():
        kind = type(obj).__qualname__
        if isinstance(obj, types.CoroutineType | types.AsyncGeneratorType):
            code = obj.cr_code if isinstance(obj, types.CoroutineType) else obj.ag_code
            kind = f"{kind} {code.co_qualname} ({Path(code.co_filename).name})"
        sizes[kind] += sys.getsizeof(obj)
        sizes["#" + kind] += 1
    return sizes


def report_census(before: Counter[str], after: Counter[str], step: int) -> None:
    diff = Counter({k: after[k] - before[k] for k in after if not k.startswith("#")})
    total = sum(diff.values()) / step
    print(f"\n== GC-tracked objects, bytes per connection (sys.getsizeof): {total:.0f} B")
    for kind, size in diff.most_common(45):
        print(
            f"{size / step:8.0f} B {(after['#' + kind] - before['#' + kind]) / step:6.2f}  {kind}"
        )


class Sample(NamedTuple):
    snapshot: tracemalloc.Snapshot
    traced: int  # bytes
    rss: int  # KiB


async def settle() -> Sample:
    """The server's memory once the last connections have settled (2 s, a full collection)."""
    await asyncio.sleep(2.0)
    gc.collect()
    if not tracemalloc.is_tracing():
        return Sample(tracemalloc.Snapshot([], FRAMES), 0, rss_kib(os.getpid()))
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    traced, _peak = tracemalloc.get_traced_memory()
    return Sample(snapshot, traced, rss_kib(os.getpid()))


def report(before: Sample, after: Sample, step: int) -> None:
    rss = (after.rss - before.rss) / step
    traced = (after.traced - before.traced) / 1024 / step
    print(
        f"per connection: RSS {rss:.1f} KiB, traced {traced:.1f} KiB, "
        f"untraced {rss - traced:.1f} KiB"
    )
    for key in ("filename", "lineno"):
        stats = after.snapshot.compare_to(before.snapshot, key)
        print(f"\n== by {key} (bytes per connection, count per connection)")
        # Every file that holds 16 B or more per connection (their sum is the whole); the top
        # lines only.
        shown = stats if key == "filename" else stats[:TOP]
        for stat in (s for s in shown if abs(s.size_diff) >= 16 * step):
            print(
                f"{stat.size_diff / step:8.0f} B {stat.count_diff / step:6.2f}  {stat.traceback[0]}"
            )
    stats = after.snapshot.compare_to(before.snapshot, "traceback")
    print("\n== by traceback")
    for stat in stats[:TOP]:
        print(f"\n{stat.size_diff / step:8.0f} B {stat.count_diff / step:6.2f}")
        for frame in stat.traceback.format(limit=12, most_recent_first=True):
            print("   ", frame)


async def main(n: int, step: int, trace: bool) -> None:
    raise_file_limit(n + step + 1000)
    data = Path(tempfile.mkdtemp(prefix="apiforge-mem-"))
    os.environ.update(
        {
            "APIFORGE_DATA_DIR": str(data),
            "APIFORGE_VALIDATOR": "none",
            "APIFORGE_ENGINE_DELAY_MS": "0",
        }
    )
    async with (
        embedded_server(Settings()) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as http,
    ):
        pid = (await http.post("/api/projects", json={"prompt": PROMPT})).json()["project"]["id"]
        await wait_idle(http, pid)
        last_id = await last_event_id(http, pid)
        client = Client(url, f"/api/stream/{pid}", last_id)
        await client.start()
        if trace:  # from the first connection: objects that churn (timers) then cancel out
            tracemalloc.start(FRAMES)
        print(await client.attach(n, 50 if trace else 500))  # traced, the server is slower
        before, objects = await settle(), census()
        print(await client.attach(step, 50 if trace else 500))
        after = await settle()
        report_census(objects, census(), step)
        if trace:
            report(before, after, step)
        else:
            print(f"\nRSS per connection {(after.rss - before.rss) / step:.1f} KiB")
        await client.stop()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--client"]:
        asyncio.run(run_client(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    else:
        numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
        n, step = (numbers + [2000, 1000][len(numbers) :])[:2]
        trace = "--trace" in sys.argv
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main(n, step, trace))
