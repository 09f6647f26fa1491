"""Time to first preview: POST /api/projects → the first ``preview:ready`` (the partial preview,
booted while the code still streams), next to the stream's end, ``version:complete`` and the
validated preview. A real server process (sandbox validator, offline engine) on loopback; times
are the client's, from sending the POST to reading each event.

Run from the repository root: ``.venv-dev/bin/python bench/bench_preview.py [runs] [delay_ms]``
(delay_ms paces the offline engine per chunk; 0 = as fast as it renders).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.server_process import NO_LIMITS, ServerProcess  # noqa: E402
from tests.sse_reader import TERMINAL, frames  # noqa: E402

PROMPT = "A library API with books and members"
MARKS = ("first preview:ready (partial)", "stream ended", "version:complete", "validated preview")


async def one_run(url: str) -> dict[str, float]:
    seen: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        start = time.perf_counter()
        created = await client.post("/api/projects", json={"prompt": PROMPT})
        pid = created.json()["project"]["id"]
    async for frame in frames(url, pid, last_event_id=0, timeout=120):
        at = (time.perf_counter() - start) * 1000
        if frame.event == "preview:ready":
            name = MARKS[0] if frame.data["partial"] else MARKS[3]
            seen.setdefault(name, at)
            if name == MARKS[3]:
                break
        elif frame.event == "step:complete" and frame.data["step"] == "generating":
            seen.setdefault(MARKS[1], at)
        elif frame.event in TERMINAL:
            seen[MARKS[2]] = at
            if frame.data.get("status") != "complete":
                break
    return seen


async def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    delay = sys.argv[2] if len(sys.argv) > 2 else "0"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}, load {load}, {os.cpu_count()} cpus")
    env = {"APIFORGE_VALIDATOR": "sandbox", "APIFORGE_ENGINE_DELAY_MS": delay, **NO_LIMITS}
    with tempfile.TemporaryDirectory() as data:
        server = ServerProcess(Path(data), env=env)
        server.start()
        try:
            await one_run(server.url)  # warm: imports, page cache
            results = [await one_run(server.url) for _ in range(runs)]
        finally:
            server.stop()
    print(f"offline engine at {delay} ms/chunk, {runs} runs (ms after POST, median (min–max)):")
    for mark in MARKS:
        values = [r[mark] for r in results if mark in r]
        if values:
            spread = f"{min(values):.0f}–{max(values):.0f}"
            print(f"  {mark:<30} {statistics.median(values):>7.0f}  ({spread}), n={len(values)}")


if __name__ == "__main__":
    asyncio.run(main())
