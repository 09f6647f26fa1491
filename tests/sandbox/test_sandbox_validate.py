"""Whole validations: a good project passes every stage, broken ones fail at the right stage."""

from __future__ import annotations

import re
import time
from textwrap import dedent

import pytest

from apiforge.sandbox.base import StageResult
from apiforge.sandbox.report import STAGES, problem_list, summary_line, validation_ok
from apiforge.sandbox.runner import SandboxUnavailable, detect_tools
from apiforge.sandbox.validator import SandboxValidator
from apiforge.settings import Settings
from tests.sandbox.conftest import needs_bwrap
from tests.sandbox.sample_projects import good_project, with_failing_test

pytestmark = [pytest.mark.sandbox, needs_bwrap]


async def validate(settings: Settings, files: dict[str, str]) -> list[tuple[float, StageResult]]:
    seen: list[tuple[float, StageResult]] = []

    async def on_stage(result: StageResult) -> None:
        seen.append((time.monotonic(), result))

    results = await SandboxValidator(settings).validate("p1", files, on_stage)
    assert [r for _, r in seen] == results
    return seen


@pytest.mark.slow
async def test_good_project_passes_every_stage(sandbox_settings: Settings) -> None:
    # A budget far above what fuzzing needs: the fuzzer must finish, not run out of time.
    settings = sandbox_settings.model_copy(update={"sandbox_fuzz_s": 60.0})
    seen = await validate(settings, good_project())
    results = [r for _, r in seen]
    assert [r.stage for r in results] == list(STAGES)
    assert validation_ok(results), results
    details = {r.stage: r.detail for r in results}
    assert details["tests"] == "21/21 tests passed"
    assert details["smoke"].startswith("16 routes answered, 3 create→read round trips")
    fuzzed = r"16 of 16 operations fuzzed \(\d+ requests\), no server errors or schema violations"
    assert re.fullmatch(fuzzed, details["fuzz"]), details["fuzz"]
    assert summary_line(results).startswith("Validated: boots in ")
    assert problem_list(results) == []
    assert not (sandbox_settings.data_dir / "sandbox").exists() or not any(
        (sandbox_settings.data_dir / "sandbox").iterdir()
    )


@pytest.mark.slow
async def test_failing_test_is_reported_with_name_and_assertion(
    sandbox_settings: Settings,
) -> None:
    settings = sandbox_settings.model_copy(update={"sandbox_fuzz_s": 0.0})
    results = [r for _, r in await validate(settings, with_failing_test(good_project(("books",))))]
    assert [r.stage for r in results] == ["syntax", "dependencies", "boot", "smoke", "tests"]
    tests = results[-1]
    assert not tests.ok
    assert tests.detail == "7/8 tests passed; failing: test_health_says_fine"
    problems = problem_list(results)
    assert (
        "tests: tests/test_broken.py:8 - AssertionError: assert {'status': 'ok'} == "
        in (problems[0])
    )
    assert any("FAILED tests/test_broken.py::test_health_says_fine" in p for p in problems)


async def test_syntax_error_stops_at_syntax(sandbox_settings: Settings) -> None:
    files = {"app/main.py": "from fastapi import FastAPI\napp = FastAPI(\n", "app/x.json": "{"}
    results = [r for _, r in await validate(sandbox_settings, files)]
    assert [r.stage for r in results] == ["syntax"]
    assert not results[0].ok
    assert problem_list(results)[0].startswith("syntax: app/main.py:2 - ")
    assert any(p.startswith("syntax: app/x.json:1 - ") for p in problem_list(results))


async def test_missing_dependency_fails_the_dependencies_stage(sandbox_settings: Settings) -> None:
    files = good_project(("books",)) | {"requirements.txt": "fastapi\nleftpad-deluxe==9.9\n"}
    results = [r for _, r in await validate(sandbox_settings, files)]
    assert [(r.stage, r.ok) for r in results] == [("syntax", True), ("dependencies", False)]
    assert "leftpad-deluxe" in results[1].detail
    assert problem_list(results)[0].startswith("dependencies: requirements.txt:2 - ")


async def test_app_that_never_serves_fails_boot_and_leaves_nothing(
    sandbox_settings: Settings,
) -> None:
    files = {
        "app/__init__.py": "",
        "app/main.py": dedent(
            """\
            import os, time
            from fastapi import FastAPI

            if os.fork() == 0:
                os.setsid()
                time.sleep(3600)
            time.sleep(3600)
            app = FastAPI()
            """
        ),
        "tests/test_app.py": "from app.main import app\n\n\ndef test_app():\n    assert app\n",
    }
    settings = sandbox_settings.model_copy(
        update={"sandbox_boot_timeout_s": 1.5, "sandbox_tests_timeout_s": 3.0}
    )
    started = time.monotonic()
    results = [r for _, r in await validate(settings, files)]
    assert time.monotonic() - started < 15
    stages = {r.stage: r for r in results}
    assert not stages["boot"].ok and "did not" in stages["boot"].detail
    assert "smoke" not in stages and "fuzz" not in stages
    assert not stages["tests"].ok and "timed out" in stages["tests"].detail


def test_missing_bwrap_refuses_unless_unsafe_mode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxUnavailable, match="APIFORGE_SANDBOX_UNSAFE_LOCAL"):
        detect_tools(allow_unsafe=False)
    assert detect_tools(allow_unsafe=True).unsafe


async def test_unsafe_local_mode_runs_the_same_stages_unsandboxed(
    sandbox_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no bwrap to be found
    settings = sandbox_settings.model_copy(update={"sandbox_unsafe_local": True})
    files = {"main.py": "from fastapi import FastAPI\napp = FastAPI()\nif True\n"}
    results = [r for _, r in await validate(settings, files)]
    assert [(r.stage, r.ok) for r in results] == [("syntax", False)]
    assert problem_list(results)[0].startswith("syntax: main.py:3 - ")
    with pytest.raises(SandboxUnavailable):
        await validate(sandbox_settings, files)


def test_summary_says_when_fuzzing_proved_nothing() -> None:
    passed = [
        StageResult("boot", True, "boots in 0.3 s"),
        StageResult("tests", True, "3/3 tests passed"),
    ]
    out_of_time = StageResult("fuzz", True, "inconclusive: start-up used the whole 2 s budget")
    finished = StageResult("fuzz", True, "4 of 4 operations fuzzed (40 requests), no findings")
    assert summary_line([*passed, finished]) == "Validated: boots in 0.3 s, 3/3 tests passed"
    assert summary_line([*passed, out_of_time]) == (
        "Validated: boots in 0.3 s, 3/3 tests passed, fuzzing inconclusive"
    )
