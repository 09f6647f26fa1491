"""Stage results with the problems behind them, the problem list for a fix round, and the
one-line chat summary."""

from __future__ import annotations

from collections.abc import Sequence

from apiforge.sandbox.base import StageResult
from apiforge.sandbox.fuzz_outcome import INCONCLUSIVE

STAGES = ("syntax", "dependencies", "boot", "smoke", "tests", "fuzz")
MAX_PROBLEMS = 30


def stage_result(
    stage: str,
    ok: bool,
    detail: str,
    started: float,
    ended: float,
    problems: Sequence[str] = (),
    **metrics: float,
) -> StageResult:
    return StageResult(
        stage=stage,
        ok=ok,
        detail=detail,
        duration_ms=max(0, round((ended - started) * 1000)),
        problems=tuple(problems[:MAX_PROBLEMS]),
        metrics=tuple(sorted(metrics.items())),
    )


def validation_ok(results: Sequence[StageResult]) -> bool:
    return bool(results) and all(result.ok for result in results)


def problem_list(results: Sequence[StageResult]) -> list[str]:
    """What a self-correction round sends back to the model: the problems of every failed stage,
    each prefixed by its stage (``tests: FAILED tests/test_items.py::test_read - assert 404 ==
    200``)."""
    problems: list[str] = []
    for result in results:
        if result.ok:
            continue
        found = result.problems or (result.detail,)
        problems += [f"{result.stage}: {problem}" for problem in found]
    return problems[:MAX_PROBLEMS]


def summary_line(results: Sequence[StageResult]) -> str:
    """The one-line chat summary, e.g. ``Validated: boots in 0.3 s, 14 routes answered,
    22/22 tests passed`` (plus ``fuzzing inconclusive`` when the fuzz budget proved nothing)."""
    failed = [result for result in results if not result.ok]
    if failed:
        first = failed[0]
        return f"Validation failed at {first.stage}: {first.detail}"
    parts: list[str] = []
    for result in results:
        if result.stage in ("boot", "smoke", "tests"):
            parts.append(result.detail)
        elif result.stage == "fuzz" and result.detail.startswith(INCONCLUSIVE):
            # A passing stage that proved nothing: the summary must not let "Validated" imply it.
            parts.append("fuzzing inconclusive")
    return "Validated: " + ", ".join(parts) if parts else "Validated"
