"""Validation time per stage for a typical generated project (3 resources, 21 tests).

Run from the repository root: ``.venv/bin/python bench/bench_validation.py [runs]``.
Goal: the whole validation under 2 s on the reference machine (2 cores).
"""

from __future__ import annotations

import asyncio
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apiforge.sandbox.base import StageResult  # noqa: E402
from apiforge.sandbox.report import STAGES, summary_line  # noqa: E402
from apiforge.sandbox.validator import SandboxValidator  # noqa: E402
from apiforge.settings import Settings  # noqa: E402
from tests.sandbox.sample_projects import good_project  # noqa: E402


def machine() -> str:
    bwrap = subprocess.run(["bwrap", "--version"], capture_output=True, text=True).stdout.strip()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{platform.node()} {platform.machine()} {os.cpu_count()} cpus, load {load}, "
        f"Python {platform.python_version()}, {bwrap}, "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M UTC}"
    )


async def one_run(
    validator: SandboxValidator, files: dict[str, str], fuzz_details: list[str] | None = None
) -> tuple[float, dict[str, int]]:
    seen: dict[str, int] = {}

    async def on_stage(result: StageResult) -> None:
        seen[result.stage] = result.duration_ms
        if result.stage == "fuzz" and fuzz_details is not None:
            fuzz_details.append(result.detail)

    started = time.monotonic()
    results = await validator.validate("bench", files, on_stage)
    elapsed = time.monotonic() - started
    if not all(r.ok for r in results):
        raise SystemExit(f"validation failed: {summary_line(results)}")
    return elapsed, seen


async def scenario(name: str, settings: Settings, runs: int) -> None:
    validator = SandboxValidator(settings)
    files = good_project()
    await one_run(validator, files)  # warm the page cache
    totals: list[float] = []
    per_stage: dict[str, list[int]] = {stage: [] for stage in STAGES}
    fuzz_details: list[str] = []
    for _ in range(runs):
        elapsed, seen = await one_run(validator, files, fuzz_details)
        totals.append(elapsed)
        for stage, ms in seen.items():
            per_stage[stage].append(ms)
    print(
        f"\n{name}: {runs} runs, whole validation median {statistics.median(totals):.2f} s "
        f"(min {min(totals):.2f}, max {max(totals):.2f})"
    )
    for stage, values in per_stage.items():
        if values:
            print(
                f"  {stage:<13} median {statistics.median(values):>6.0f} ms  "
                f"(min {min(values)}, max {max(values)})"
            )
    for detail in fuzz_details:
        print(f"  fuzz: {detail}")


async def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(machine())
    print(f"project: {len(good_project())} files, 3 resources, 21 tests")
    with tempfile.TemporaryDirectory() as data:
        base = Settings(data_dir=Path(data))
        await scenario("fuzz off", base.model_copy(update={"sandbox_fuzz_s": 0.0}), runs)
        await scenario("fuzz 2 s budget (default)", base, runs)
    print("\nStages after dependencies run concurrently (tests and fuzz beside boot+smoke), so a")
    print("stage's duration counts from the start of that group, not from the previous stage.")


if __name__ == "__main__":
    asyncio.run(main())
