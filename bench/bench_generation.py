"""Whole generation: offline prompt → validated version, with and without the contract fuzz.

A real server process (offline engine unpaced, sandbox validator, default fuzz budget or
``APIFORGE_SANDBOX_FUZZ_S=0``) on loopback. Per run: POST /api/projects → ``version:complete``
on the client's clock, the steps' ``step:complete`` ``duration_ms`` and the validation stages'
``validation:progress`` ``duration_ms``. Printed: medians and each step's share of the whole.
(bench/bench_validation.py times the validator alone on a fixed project; this is the product
path end to end.) Run: ``.venv-dev/bin/python bench/bench_generation.py [runs]`` (default 5).
Goals (issue #16): < 4 s with fuzz, < 2.5 s without.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apiforge.sandbox.report import STAGES  # noqa: E402
from tests.server_process import NO_LIMITS, ServerProcess  # noqa: E402
from tests.sse_reader import TERMINAL, frames  # noqa: E402

PROMPT = "A library API with books and members"
STEPS = ("planning", "generating", "validating")
GOALS = {"fuzz on (default budget)": 4.0, "fuzz off": 2.5}


async def one_run(url: str) -> dict[str, float]:
    """Milliseconds: ``total`` (client), ``step <name>`` and ``stage <name>`` (server)."""
    seen: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        start = time.perf_counter()
        created = await client.post("/api/projects", json={"prompt": PROMPT})
        pid = created.json()["project"]["id"]
    async for frame in frames(url, pid, last_event_id=0, timeout=120):
        if frame.event == "step:complete":
            seen[f"step {frame.data['step']}"] = frame.data["duration_ms"]
        elif frame.event == "validation:progress":
            seen[f"stage {frame.data['stage']}"] = frame.data["duration_ms"]
        elif frame.event in TERMINAL:
            seen["total"] = (time.perf_counter() - start) * 1000
            if frame.data.get("status") != "complete":
                raise SystemExit(f"the version did not validate: {frame.event} {frame.data}")
            return seen
    raise SystemExit("the stream ended before the version did")


async def scenario(name: str, env: dict[str, str], runs: int) -> None:
    with tempfile.TemporaryDirectory() as data:
        server = ServerProcess(Path(data), env=env)
        server.start()
        try:
            await one_run(server.url)  # warm: imports, page cache, the sandbox's venv cache
            results = [await one_run(server.url) for _ in range(runs)]
        finally:
            server.stop()
    report(name, results)


def report(name: str, results: list[dict[str, float]]) -> None:
    by_key: dict[str, list[float]] = defaultdict(list)
    for result in results:
        for key, ms in result.items():
            by_key[key].append(ms)
    total = statistics.median(by_key["total"])
    goal = GOALS[name]
    verdict = "met" if total / 1000 < goal else "MISSED"
    spread = f"{min(by_key['total']) / 1000:.2f}–{max(by_key['total']) / 1000:.2f}"
    print(
        f"\n{name}: {len(results)} runs, POST → version:complete median {total / 1000:.2f} s "
        f"({spread}); goal < {goal} s: {verdict}"
    )
    keys = [f"step {s}" for s in STEPS] + [f"stage {s}" for s in STAGES]
    for key in keys:
        if values := by_key.get(key):
            median = statistics.median(values)
            indent = "    " if key.startswith("stage ") else "  "
            print(
                f"{indent}{key:<22} median {median:>6.0f} ms  ({min(values):.0f}–"
                f"{max(values):.0f})  {100 * median / total:>4.0f}% of the whole"
            )
    steps = sum(statistics.median(by_key[f"step {s}"]) for s in STEPS if by_key.get(f"step {s}"))
    print(f"  {'rest (POST, queueing, events)':<24} {total - steps:>10.0f} ms")


async def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"apiforge whole generation — {datetime.now(UTC):%Y-%m-%d %H:%M UTC}, load {load}, "
        f"{os.cpu_count()} cpus; prompt {PROMPT!r}"
    )
    base = {"APIFORGE_VALIDATOR": "sandbox", "APIFORGE_ENGINE_DELAY_MS": "0", **NO_LIMITS}
    await scenario("fuzz on (default budget)", base, runs)
    await scenario("fuzz off", {**base, "APIFORGE_SANDBOX_FUZZ_S": "0"}, runs)
    print("\nValidation stages after `dependencies` run concurrently (tests and fuzz beside")
    print("boot+smoke), so their shares overlap; each counts from the start of its group.")
    print(f"load at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    asyncio.run(main())
