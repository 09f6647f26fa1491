"""The fuzz stage: its budget bounds its wall clock, start-up included; running out of time is
"inconclusive" (passing); only a finding fails it."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from pathlib import Path
from textwrap import dedent

import pytest

from apiforge.sandbox.base import StageResult
from apiforge.sandbox.fuzz_cache import FuzzCache
from apiforge.sandbox.fuzz_outcome import fuzz_outcome, last_report
from apiforge.sandbox.harness import RESULT_MARKER
from apiforge.sandbox.process import RunResult
from apiforge.sandbox.runtime import current_runtime
from apiforge.sandbox.stages import StageTimeouts, fuzz_stage
from tests.sandbox.conftest import RunnerFactory, needs_bwrap

APP = dedent(
    """\
    import time

    from fastapi import FastAPI, HTTPException
    from pydantic import BaseModel

    time.sleep({import_s})
    app = FastAPI()


    class Note(BaseModel):
        text: str
        stars: int


    @app.middleware("http")
    async def slow(request, call_next):
        time.sleep({request_s})
        return await call_next(request)


    @app.get("/notes/{{note_id}}")
    def read(note_id: int) -> Note:
        {read_body}


    @app.post("/notes")
    def create(note: Note) -> Note:
        return note
    """
)
# Promises an integer count in its OpenAPI document, answers with a string.
LYING = dedent(
    """    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    app = FastAPI()
    COUNT = {"type": "object", "properties": {"count": {"type": "integer"}}}


    @app.get("/count", responses={200: {"content": {"application/json": {"schema": COUNT}}}})
    def count() -> JSONResponse:
        return JSONResponse({"count": "many"})
    """
)


def project(import_s: float = 0.0, request_s: float = 0.0, broken: bool = False) -> dict[str, str]:
    read_body = "raise RuntimeError('boom')" if broken else "raise HTTPException(404)"
    main = APP.format(import_s=import_s, request_s=request_s, read_body=read_body)
    return {"app/__init__.py": "", "app/main.py": main}


FUZZED_ALL = (
    r"2 of 2 operations fuzzed \([1-9]\d* requests\), no server errors or schema violations"
)
STARTUP_USED_IT = r"inconclusive: start-up used the whole 2 s budget, nothing fuzzed"


async def fuzz(
    make_runner: RunnerFactory, files: dict[str, str], budget: float
) -> tuple[StageResult, float]:
    runner = await make_runner(files)
    started = time.monotonic()
    result = await fuzz_stage(runner, "app.main:app", StageTimeouts(fuzz_budget=budget))
    return result, time.monotonic() - started


@pytest.mark.sandbox
@needs_bwrap
@pytest.mark.parametrize(
    ("import_s", "request_s", "said"),
    [
        # Under load the start-up alone may use the budget: either way, nothing got fuzzed.
        (
            0.0,
            1.5,
            r"inconclusive: 0 of 2 operations fuzzed \((0 requests|1 request)\) when the 2 s "
            r"budget ran out, no server errors or schema violations|" + STARTUP_USED_IT,
        ),
        (5.0, 0.0, STARTUP_USED_IT),
    ],
)
async def test_a_slow_app_keeps_the_stage_within_its_budget_and_passes(
    make_runner: RunnerFactory, import_s: float, request_s: float, said: str
) -> None:
    result, elapsed = await fuzz(make_runner, project(import_s, request_s), budget=2.0)
    assert elapsed < 2.0 + 1.0
    assert result.ok, result.detail
    assert re.fullmatch(said, result.detail), result.detail
    assert result.metric("inconclusive") == 1.0


@pytest.mark.sandbox
@needs_bwrap
async def test_a_server_error_fails_the_stage(make_runner: RunnerFactory) -> None:
    result, _ = await fuzz(make_runner, project(broken=True), budget=30.0)
    assert not result.ok
    assert result.detail.startswith("1 finding: GET /notes/"), result.detail
    assert result.detail.split(" -> ")[1].startswith("500"), result.detail
    assert result.metric("inconclusive") == 0.0


@pytest.mark.sandbox
@needs_bwrap
async def test_a_response_that_breaks_its_own_schema_fails_the_stage(
    make_runner: RunnerFactory,
) -> None:
    files = {"app/__init__.py": "", "app/main.py": LYING}
    result, _ = await fuzz(make_runner, files, budget=30.0)
    assert not result.ok
    assert result.detail.startswith(
        '1 finding: GET /count -> 200, response violates schema: "many" is not of type'
    ), result.detail


@pytest.mark.sandbox
@needs_bwrap
async def test_a_quick_app_is_fuzzed_completely(make_runner: RunnerFactory) -> None:
    result, _ = await fuzz(make_runner, project(), budget=30.0)
    assert result.ok
    assert re.fullmatch(FUZZED_ALL, result.detail), result.detail


def run_result(output: str, *, returncode: int | None = 0, timed_out: bool = False) -> RunResult:
    return RunResult(returncode, output, timed_out, 1.0, len(output))


def report(**fields: object) -> str:
    state = {"operations": 0, "failures": [], "fuzzing": True, "final": False, "total": 5}
    return RESULT_MARKER + json.dumps(state | fields) + "\n"


def test_a_report_cut_by_the_kill_falls_back_to_the_one_before() -> None:
    output = report(operations=3, requests=31) + RESULT_MARKER + '{"operations": 4, "fail'
    run = run_result(output, returncode=-9, timed_out=True)
    outcome = fuzz_outcome(last_report(output), run, 2.0)
    assert outcome.ok and outcome.inconclusive
    assert outcome.detail == (
        "inconclusive: 3 of 5 operations fuzzed (31 requests) when the 2 s budget ran out, "
        "no server errors or schema violations"
    )


def test_a_finding_before_the_budget_ran_out_still_fails() -> None:
    output = report(operations=1, failures=["GET /x -> 500"])
    outcome = fuzz_outcome(last_report(output), run_result(output, timed_out=True), 2.0)
    assert (outcome.ok, outcome.problems) == (False, ("GET /x -> 500",))


def test_an_app_that_kills_the_fuzzer_mid_request_fails() -> None:
    output = report(operations=2) + "Killed\n"
    outcome = fuzz_outcome(last_report(output), run_result(output, returncode=-9), 2.0)
    assert not outcome.ok
    assert outcome.detail.startswith("the app took the fuzzing process down (exit code -9)")


def test_a_fuzzer_that_cannot_start_is_inconclusive() -> None:
    output = "Traceback (most recent call last):\nImportError: nope\n"
    outcome = fuzz_outcome(last_report(output), run_result(output, returncode=1), 2.0)
    assert outcome.ok and outcome.inconclusive
    assert "exited with code 1 before fuzzing: " in outcome.detail


@pytest.mark.sandbox
@needs_bwrap
async def test_the_warm_cache_is_built_once_and_only_read_by_fuzz_runs(
    make_runner: RunnerFactory, tmp_path: Path
) -> None:
    cache = FuzzCache(tmp_path / "cache", current_runtime())
    path = await cache.path()
    assert path is not None
    assert [p.name for p in path.rglob("charmap.json.gz")] == ["charmap.json.gz"]
    before = sorted((p, p.stat().st_mtime_ns) for p in path.rglob("*"))
    assert await cache.path() == path
    runner = await make_runner(project())
    runner = replace(runner, runtime=replace(runner.runtime, fuzz_cache=path))
    result = await fuzz_stage(runner, "app.main:app", StageTimeouts(fuzz_budget=30.0))
    assert re.fullmatch(FUZZED_ALL, result.detail), result.detail
    assert sorted((p, p.stat().st_mtime_ns) for p in path.rglob("*")) == before
