"""The validation stages: syntax -> dependencies -> boot -> smoke -> tests -> fuzz.

Each returns a StageResult with a short human detail and the problems behind a failure.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from apiforge.sandbox.base import StageResult
from apiforge.sandbox.connection import AppConnection, BootFailed, wait_until_serving
from apiforge.sandbox.dependencies import check_requirements
from apiforge.sandbox.fuzz_cache import STORAGE_ENV
from apiforge.sandbox.fuzz_outcome import fuzz_outcome, last_report
from apiforge.sandbox.harness import script
from apiforge.sandbox.process import SandboxProcess
from apiforge.sandbox.pytest_output import summarize_pytest
from apiforge.sandbox.report import stage_result
from apiforge.sandbox.runner import SandboxRunner
from apiforge.sandbox.smoke import run_smoke

_APP_ASSIGNMENT = re.compile(r"^app\s*(?::[^=\n]+)?=\s*\w*FastAPI\(", re.MULTILINE)
_ENTRY_CANDIDATES = ("app/main.py", "main.py", "src/main.py", "app.py", "api/main.py")
_FUZZ_REPORT_MARGIN_S = 0.3
# Autoloading every plugin of the runtime (schemathesis, hypothesis, playwright...) costs seconds;
# generated suites need only the async ones.
PYTEST_ENV = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
PYTEST_ARGS = (
    "-m",
    "pytest",
    "-q",
    "-p",
    "no:cacheprovider",
    "-p",
    "anyio.pytest_plugin",
    "-p",
    "pytest_asyncio.plugin",
    "-o",
    "asyncio_default_fixture_loop_scope=function",
    "--tb=line",
    "-rfE",
    "--color=no",
    "--no-header",
)


@dataclass(frozen=True)
class StageTimeouts:
    boot: float = 15.0
    smoke: float = 20.0
    tests: float = 60.0
    fuzz_budget: float = 2.0
    fuzz_examples: int = 10


@dataclass
class RunningApp:
    process: SandboxProcess
    connection: AppConnection
    document: dict[str, Any]
    boot_s: float

    async def stop(self) -> None:
        # Kill first: its SIGKILL is sent before the first await, so even a cancelled stop
        # leaves nothing running.
        try:
            await self.process.kill()
        finally:
            await self.connection.aclose()


def find_app_target(files: Mapping[str, str]) -> str | None:
    """``module:app`` of the FastAPI instance: the usual entry points first, then any module."""
    ordered = [p for p in _ENTRY_CANDIDATES if p in files] + sorted(files)
    for path in ordered:
        if path.endswith(".py") and _APP_ASSIGNMENT.search(files[path]):
            module = path.removesuffix(".py").replace("/", ".")
            return f"{module.removesuffix('.__init__')}:app"
    return None


def _tail(text: str, lines: int = 6) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return "\n".join(kept)[-800:]


def dependencies_stage(files: Mapping[str, str], installed: Mapping[str, str]) -> StageResult:
    started = time.monotonic()
    check = check_requirements(files, installed)
    return stage_result(
        "dependencies", check.ok, check.detail, started, time.monotonic(), check.problems
    )


async def start_app(
    runner: SandboxRunner,
    target: str,
    timeout: float,
    *,
    root_path: str = "",
    cpu_seconds: int | None = None,
    read_timeout: float = 10.0,
) -> RunningApp:
    """Start uvicorn on the job's socket and wait until it serves its OpenAPI document."""
    command = ["-m", "uvicorn", target, "--uds", runner.socket_inside, "--no-access-log"]
    command += ["--log-level", "warning", "--timeout-graceful-shutdown", "1"]
    if root_path:
        command += ["--root-path", root_path]
    started = time.monotonic()
    process = await runner.start(runner.python(*command), cpu_seconds=cpu_seconds, serve=True)
    connection = AppConnection(runner.job, read_timeout)
    try:
        document = await asyncio.wait_for(
            wait_until_serving(process, runner.job, connection, timeout), timeout + 1
        )
    except BaseException as error:
        await connection.aclose()
        await process.kill()
        if isinstance(error, TimeoutError):
            raise BootFailed(f"the app did not answer within {timeout:g} s") from error
        if isinstance(error, BootFailed):
            raise BootFailed(f"{error}\n{_tail(process.output())}".strip()) from error
        raise
    return RunningApp(process, connection, document, time.monotonic() - started)


async def boot_stage(
    runner: SandboxRunner, target: str | None, timeouts: StageTimeouts
) -> tuple[StageResult, RunningApp | None]:
    started = time.monotonic()
    if target is None:
        detail = "no FastAPI app found (expected `app = FastAPI(...)` in app/main.py or main.py)"
        return stage_result("boot", False, detail, started, time.monotonic(), [detail]), None
    try:
        app = await start_app(runner, target, timeouts.boot)
    except BootFailed as error:
        message = str(error)
        first = message.splitlines()[0]
        return stage_result("boot", False, first, started, time.monotonic(), [message]), None
    detail = f"boots in {app.boot_s:.1f} s"
    result = stage_result("boot", True, detail, started, time.monotonic(), boot_s=app.boot_s)
    return replace(result, openapi=json.dumps(app.document, sort_keys=True)), app


async def smoke_stage(app: RunningApp, timeouts: StageTimeouts) -> StageResult:
    started = time.monotonic()
    report = await run_smoke(app.connection.client, app.document, timeouts.smoke)
    routes = report.called
    trips = f", {report.round_trips} create→read round trips" if report.round_trips else ""
    if report.ok:
        detail = f"{routes} routes answered{trips}"
    else:
        detail = f"{len(report.failures)} problems in {routes} routes: {report.failures[0]}"
    if app.process.returncode is not None and report.ok:
        detail, report.failures = "the app exited during the smoke test", [detail]
    return stage_result(
        "smoke", report.ok, detail, started, time.monotonic(), report.failures, routes=routes
    )


async def tests_stage(runner: SandboxRunner, timeouts: StageTimeouts) -> StageResult:
    started = time.monotonic()
    run = await runner.run(runner.python(*PYTEST_ARGS), timeouts.tests, env=PYTEST_ENV)
    if run.timed_out:
        detail = f"tests timed out after {timeouts.tests:g} s"
        return stage_result("tests", False, detail, started, time.monotonic(), [detail])
    summary = summarize_pytest(run.output, run.returncode, inside_dir=str(runner.job.work))
    return stage_result(
        "tests",
        summary.ok,
        summary.detail,
        started,
        time.monotonic(),
        summary.problems,
        passed=summary.passed,
        total=summary.total,
    )


async def fuzz_stage(runner: SandboxRunner, target: str, timeouts: StageTimeouts) -> StageResult:
    """Fuzz within ``fuzz_budget`` seconds of wall clock, start-up included; the process is
    killed at the budget. Only a finding fails the stage: running out of time, or a fuzzer
    that could not get going, is a passing "inconclusive"."""
    started = time.monotonic()
    budget = timeouts.fuzz_budget
    # The harness stops itself a little early so that its own final report gets out.
    stop_at = time.time() + budget - min(_FUZZ_REPORT_MARGIN_S, budget / 4)
    args = [target, f"{stop_at:.3f}", str(timeouts.fuzz_examples)]
    command = runner.python("-c", script("fuzz_app"), *args)
    cache = runner.runtime.fuzz_cache
    env = {STORAGE_ENV: str(cache)} if cache is not None else {}
    process = await runner.start(command, cpu_seconds=int(budget) + 2, env=env)
    run = await process.wait(max(0.0, started + budget - time.monotonic()))
    outcome = fuzz_outcome(last_report(run.output), run, budget)
    ended = time.monotonic()
    inconclusive = float(outcome.inconclusive)
    return stage_result(
        "fuzz",
        outcome.ok,
        outcome.detail,
        started,
        ended,
        outcome.problems,
        inconclusive=inconclusive,
    )
