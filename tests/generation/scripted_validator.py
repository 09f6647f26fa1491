"""A validator that reports the sandbox's six stages on a fixed script, without a sandbox.

The browser tests need a version that fails validation at a known stage, and one that stays
mid-validation long enough to look at; the real sandbox is too slow and too variable for that.
``APIFORGE_TEST_FAIL_STAGE`` names the stage that fails (empty: all pass) and
``APIFORGE_TEST_STAGE_DELAY_MS`` how long each stage takes.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping

from apiforge.sandbox.base import StageCallback, StageResult
from apiforge.settings import Settings

PASSED = {
    "syntax": "12 files parse",
    "dependencies": "all imports available",
    "boot": "boots in 0.3 s",
    "smoke": "14 routes answered",
    "tests": "17/17 tests passed",
    "fuzz": "120 operations fuzzed",
}
FAILED = {
    "syntax": "app/main.py:3 - invalid syntax",
    "dependencies": "No module named 'pytest_asyncio'",
    "boot": "the app did not answer within 10 s",
    "smoke": "GET /books answered 500",
    "tests": "15/17 tests passed",
    "fuzz": "POST /books answered 500 for a valid body",
}


# As in the sandbox: nothing runs after a file that does not parse or an import that is missing.
GATES = ("syntax", "dependencies")


class ScriptedValidator:
    name = "scripted"

    def __init__(self, settings: Settings) -> None:
        self.fail_stage = os.environ.get("APIFORGE_TEST_FAIL_STAGE", "fuzz")
        self.delay_s = int(os.environ.get("APIFORGE_TEST_STAGE_DELAY_MS", "100")) / 1000

    def file_completed(self, project_id: str, path: str, content: str) -> None:
        return None

    async def validate(
        self, project_id: str, files: Mapping[str, str], on_stage: StageCallback
    ) -> list[StageResult]:
        results: list[StageResult] = []
        for stage, detail in PASSED.items():
            await asyncio.sleep(self.delay_s)
            ok = stage != self.fail_stage
            result = StageResult(
                stage, ok, detail if ok else FAILED[stage], int(self.delay_s * 1000)
            )
            results.append(result)
            await on_stage(result)
            if not ok and stage in GATES:
                break
        return results
