"""Time to first preview: POST /api/projects → the first ``preview:ready`` (the partial preview,
booted while the code still streams), next to the stream's end, ``version:complete`` and the
validated preview. A real server process (sandbox validator) on loopback; times are the
client's, from sending the POST to reading each event.

Run from the repository root:
- ``.venv-dev/bin/python bench/bench_preview.py [runs] [delay_ms]``: the offline engine
  (delay_ms paces it per chunk; 0 = as fast as it renders), medians over ``runs``.
- ``.venv-dev/bin/python bench/bench_preview.py local``: the local model (``make llm-install``;
  started as ``make bench-llm`` does, with its ``APIFORGE_LLM_THREADS``, ``BENCH_LLM_PROMPTS``,
  ``BENCH_LLM_FIX_ROUNDS`` and ``BENCH_LLM_MAX_TOKENS``), one row per bench_llm.py first
  prompt, since each answer differs; each row is also printed as soon as it is measured.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_llm import FIRST_PROMPTS, FIX_ROUNDS, MAX_OUTPUT_TOKENS, ONLY  # noqa: E402

from tests.llm.local_model import local_model  # noqa: E402
from tests.server_process import NO_LIMITS, ServerProcess  # noqa: E402
from tests.sse_reader import TERMINAL, frames  # noqa: E402

PROMPT = "A library API with books and members"
MARKS = ("first preview:ready (partial)", "stream ended", "version:complete", "validated preview")
FIRST_CODE = "first code:chunk"
Run = dict[str, float | str]  # mark -> ms after the POST; "ending", counts


async def one_run(url: str, prompt: str = PROMPT, timeout: float = 120) -> Run:
    seen: Run = {"partials": 0, "preview errors": 0}
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        start = time.perf_counter()
        created = await client.post("/api/projects", json={"prompt": prompt})
        pid = created.json()["project"]["id"]
    async for frame in frames(url, pid, last_event_id=0, timeout=timeout):
        at = (time.perf_counter() - start) * 1000
        if frame.event == "preview:ready":
            name = MARKS[0] if frame.data["partial"] else MARKS[3]
            seen.setdefault(name, at)
            seen["partials"] = int(seen["partials"]) + frame.data["partial"]
            if name == MARKS[3]:
                break
        elif frame.event == "preview:error":
            seen["preview errors"] = int(seen["preview errors"]) + 1
        elif frame.event == "preview:stopped":
            seen["preview:stopped"] = at
        elif frame.event == "code:chunk":
            seen.setdefault(FIRST_CODE, at)
        elif frame.event == "step:complete" and frame.data["step"] == "generating":
            seen.setdefault(MARKS[1], at)
        elif frame.event in TERMINAL:
            seen[MARKS[2]] = at
            seen["ending"] = frame.data.get("status") or frame.data.get("code") or frame.event
            if seen["ending"] != "complete":
                break
    return seen


@contextmanager
def local_model_env() -> Iterator[dict[str, str]]:
    """The server's settings for the local model, as bench_llm.py runs it."""
    with local_model(threads=int(os.environ.get("APIFORGE_LLM_THREADS", "1"))) as base_url:
        yield {
            "APIFORGE_PROVIDER": "openai",
            "APIFORGE_MODEL": "local",
            "OPENAI_API_KEY": "local",
            "OPENAI_BASE_URL": base_url,
            "APIFORGE_SANDBOX_FUZZ_S": "0",
            "APIFORGE_MAX_OUTPUT_TOKENS": str(MAX_OUTPUT_TOKENS),
            "APIFORGE_FIX_ROUNDS": str(FIX_ROUNDS),
            "APIFORGE_STALL_TIMEOUT_S": "300",
        }


def print_medians(results: list[Run]) -> None:
    print("ms after POST, median (min–max):")
    for mark in MARKS:
        values = [float(r[mark]) for r in results if mark in r]
        if values:
            spread = f"{min(values):.0f}–{max(values):.0f}"
            print(f"  {mark:<30} {statistics.median(values):>7.0f}  ({spread}), n={len(values)}")


def print_rows(prompts: list[str], results: list[Run]) -> None:
    def cell(result: Run, mark: str) -> str:
        return f"{float(result[mark]) / 1000:.1f} s" if mark in result else "—"

    print(f"| prompt | {FIRST_CODE} | {' | '.join(MARKS)} | ending | partial previews / errors |")
    print("|---|---|---|---|---|---|---|---|")
    for prompt, r in zip(prompts, results, strict=True):
        times = " | ".join(cell(r, mark) for mark in (FIRST_CODE, *MARKS))
        counts = f"{r['partials']} / {r['preview errors']}"
        print(f"| {prompt} | {times} | {r.get('ending')} | {counts} |")


async def run_all(env: dict[str, str], prompts: list[str], timeout: float) -> list[Run]:
    with tempfile.TemporaryDirectory() as data:
        server = ServerProcess(Path(data), env=env)
        server.start()
        try:
            if timeout <= 120:  # the offline engine: one warm-up run (imports, page cache)
                await one_run(server.url)
            results = []
            for prompt in prompts:
                results.append(await one_run(server.url, prompt, timeout))
                print(f"# {prompt}: {results[-1]}", flush=True)
            return results
        finally:
            server.stop()


async def main() -> None:
    local = len(sys.argv) > 1 and sys.argv[1] == "local"
    args = sys.argv[2:] if local else sys.argv[1:]
    runs = int(args[0]) if args else 5
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}, load {load}, {os.cpu_count()} cpus", flush=True)
    env = {"APIFORGE_VALIDATOR": "sandbox", **NO_LIMITS}
    if not local:
        delay = args[1] if len(args) > 1 else "0"
        env["APIFORGE_ENGINE_DELAY_MS"] = delay
        results = await run_all(env, [PROMPT] * runs, 120)
        print(f"offline engine at {delay} ms/chunk, {runs} runs", end="; ")
        print_medians(results)
        return
    chosen = [int(i) for i in ONLY.split(",")] if ONLY else range(len(FIRST_PROMPTS))
    prompts = [FIRST_PROMPTS[i] for i in chosen]
    with local_model_env() as model_env:
        results = await run_all({**env, **model_env}, prompts, 900)
    print_rows(prompts, results)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load after: {load}")


if __name__ == "__main__":
    asyncio.run(main())
