"""SandboxValidator: runs a version's files through every stage inside bubblewrap.

syntax and dependencies gate everything; then the test suite and the fuzzer start at once (they
need no running app) while the app boots and is smoke-tested over its socket. Results are still
reported in stage order, each as soon as it and every stage before it are known.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from pathlib import Path

from apiforge.errors import InputError
from apiforge.sandbox.base import StageCallback, StageResult
from apiforge.sandbox.bwrap import SandboxLimits
from apiforge.sandbox.fuzz_cache import FuzzCache
from apiforge.sandbox.report import stage_result
from apiforge.sandbox.runner import SandboxRunner, SandboxTools, detect_tools
from apiforge.sandbox.runtime import ValidationRuntime, current_runtime, installed_distributions
from apiforge.sandbox.slots import SlotPool
from apiforge.sandbox.stages import (
    StageTimeouts,
    boot_stage,
    dependencies_stage,
    find_app_target,
    fuzz_stage,
    smoke_stage,
    tests_stage,
)
from apiforge.sandbox.syntax import SyntaxMemo, parsed
from apiforge.sandbox.workdir import create_job, remove_job
from apiforge.settings import Settings

logger = logging.getLogger(__name__)
_MiB = 1024 * 1024
Report = Callable[[StageResult], Awaitable[None]]


def limits_from(settings: Settings) -> SandboxLimits:
    return SandboxLimits(
        memory_bytes=settings.sandbox_memory_mb * _MiB,
        disk_bytes=settings.sandbox_disk_mb * _MiB,
        file_size_bytes=settings.sandbox_disk_mb * _MiB,
        processes=settings.sandbox_max_processes,
    )


def timeouts_from(settings: Settings) -> StageTimeouts:
    return StageTimeouts(
        boot=settings.sandbox_boot_timeout_s,
        tests=settings.sandbox_tests_timeout_s,
        fuzz_budget=settings.sandbox_fuzz_s,
    )


def jobs_dir(settings: Settings) -> Path:
    return (settings.data_dir / "sandbox").resolve()


class SandboxValidator:
    name = "sandbox"

    def __init__(self, settings: Settings, runtime: ValidationRuntime | None = None) -> None:
        self._settings = settings
        self._runtime = runtime or current_runtime()
        self._installed = installed_distributions()
        self.slots = SlotPool(settings.sandbox_first_uid, settings.sandbox_slots)
        self.limits = limits_from(settings)
        self.timeouts = timeouts_from(settings)
        self._syntax = SyntaxMemo()
        # Per Hypothesis version: another version may keep its tables differently.
        cache_name = f"hypothesis-{self._installed.get('hypothesis', 'none')}"
        cache_dir = settings.data_dir.resolve() / "sandbox-cache" / cache_name
        self._fuzz_cache = FuzzCache(cache_dir, self._runtime)

    def file_completed(self, project_id: str, path: str, content: str) -> None:
        """Check a file as soon as the stream completes it: the syntax stage starts early. A
        Python file parses already (the assembler parsed it to accept it: invariant 4)."""
        if not parsed(path):
            return
        if path.endswith(".py"):
            self._syntax.parsed_elsewhere(path, content)
        else:
            self._syntax.check(path, content)

    def tools(self) -> SandboxTools:
        """Raises SandboxUnavailable (a ValidationFailed) when bwrap is missing and the unsafe
        local mode is off."""
        return detect_tools(allow_unsafe=self._settings.sandbox_unsafe_local)

    async def validate(
        self, project_id: str, files: Mapping[str, str], on_stage: StageCallback
    ) -> list[StageResult]:
        tools = self.tools()
        results: list[StageResult] = []

        async def report(result: StageResult) -> None:
            results.append(result)
            await on_stage(result)

        async with self.slots.acquire() as uid:
            try:
                job = await asyncio.to_thread(
                    create_job, jobs_dir(self._settings), files, uid, unsafe=tools.unsafe
                )
            except InputError as error:
                await report(stage_result("syntax", False, error.message, 0, 0, [error.message]))
                return results
            runner = SandboxRunner(tools, self._runtime, job, uid, self.limits)
            try:
                await self._run_stages(runner, files, report)
            finally:
                await asyncio.to_thread(remove_job, job)
        return results

    async def _run_stages(
        self, runner: SandboxRunner, files: Mapping[str, str], report: Report
    ) -> None:
        syntax = self._syntax.stage(files)
        await report(syntax)
        if not syntax.ok:
            return
        dependencies = dependencies_stage(files, self._installed)
        await report(dependencies)
        if not dependencies.ok:
            return
        target = find_app_target(files)
        tests = asyncio.create_task(tests_stage(runner, self.timeouts))
        fuzz = None
        if target is not None and self.timeouts.fuzz_budget > 0:
            fuzz = asyncio.create_task(self._fuzz(runner, target))
        try:
            booted = await self._boot_and_smoke(runner, target, report)
            await report(await tests)
            if fuzz is not None and booted:
                await report(await fuzz)
        finally:
            for task in (tests, fuzz):
                if task is not None:
                    task.cancel()
            pending = [task for task in (tests, fuzz) if task is not None]
            await asyncio.gather(*pending, return_exceptions=True)

    async def _fuzz(self, runner: SandboxRunner, target: str) -> StageResult:
        # The cache is built once, before the budget's clock starts, while the others run.
        cache = await self._fuzz_cache.path()
        if cache is not None:
            runner = replace(runner, runtime=replace(runner.runtime, fuzz_cache=cache))
        return await fuzz_stage(runner, target, self.timeouts)

    async def _boot_and_smoke(
        self, runner: SandboxRunner, target: str | None, report: Report
    ) -> bool:
        boot, app = await boot_stage(runner, target, self.timeouts)
        await report(boot)
        if app is None:
            return False
        try:
            smoke: StageResult = await smoke_stage(app, self.timeouts)
        finally:
            await app.stop()
        await report(smoke)
        return True
