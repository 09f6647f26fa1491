"""What a fuzz run means for the version: the harness's last progress report, read.

Only a finding fails the stage: a 5xx, a response that breaks the app's own documented schema, or
the app taking the fuzzing process down mid-request.
Running out of budget, or a fuzzer that never got going, is "inconclusive" - a passing outcome
labelled as such, because it says nothing about the user's version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from apiforge.sandbox.harness import RESULT_MARKER
from apiforge.sandbox.process import RunResult

INCONCLUSIVE = "inconclusive"
NOTHING_FOUND = "no server errors or schema violations"


@dataclass(frozen=True)
class FuzzOutcome:
    ok: bool
    detail: str
    problems: tuple[str, ...] = ()

    @property
    def inconclusive(self) -> bool:
        return self.detail.startswith(INCONCLUSIVE)


def last_report(output: str) -> dict[str, Any] | None:
    """The last marked JSON line of the harness's output (its latest progress)."""
    for line in reversed(output.splitlines()):
        if line.startswith(RESULT_MARKER):
            try:
                found = json.loads(line[len(RESULT_MARKER) :])
            except ValueError:
                continue  # a line cut by the kill; the one before it is whole
            return found if isinstance(found, dict) else None
    return None


def _tail(text: str) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    kept = [line for line in kept if not line.startswith(RESULT_MARKER)][-3:]
    return "\n".join(kept)[-600:]


def _done(report: dict[str, Any]) -> str:
    total = report.get("total")
    of = f" of {total}" if isinstance(total, int) else ""
    requests = int(report.get("requests", 0))
    sent = f"{requests} request" + ("" if requests == 1 else "s")
    return f"{int(report.get('operations', 0))}{of} operations fuzzed ({sent})"


def _findings(report: dict[str, Any], run: RunResult) -> FuzzOutcome | None:
    failures = [str(f) for f in report.get("failures", [])]
    if failures:
        found = f"{len(failures)} finding" + ("" if len(failures) == 1 else "s")
        return FuzzOutcome(False, f"{found}: {failures[0]}", tuple(failures))
    died = not report.get("final") and not run.timed_out and run.returncode != 0
    if report.get("fuzzing") and died:
        detail = (
            f"the app took the fuzzing process down (exit code {run.returncode}) after "
            f"{_done(report)}: {_tail(run.output)}"
        )
        return FuzzOutcome(False, detail, (detail,))
    return None


def fuzz_outcome(report: dict[str, Any] | None, run: RunResult, budget: float) -> FuzzOutcome:
    if report is not None and (finding := _findings(report, run)) is not None:
        return finding
    if report is not None and report.get("error"):
        return FuzzOutcome(True, f"{INCONCLUSIVE}: {report['error']}")
    if report is not None and report.get("final"):
        if report.get("out_of_time"):
            done = _done(report)
            return FuzzOutcome(
                True,
                f"{INCONCLUSIVE}: {done} in the {budget:g} s budget, {NOTHING_FOUND}",
            )
        return FuzzOutcome(True, f"{_done(report)}, {NOTHING_FOUND}")
    if run.timed_out:
        if report is None or not report.get("fuzzing"):
            detail = f"start-up used the whole {budget:g} s budget, nothing fuzzed"
        else:
            detail = f"{_done(report)} when the {budget:g} s budget ran out, {NOTHING_FOUND}"
        return FuzzOutcome(True, f"{INCONCLUSIVE}: {detail}")
    detail = f"the fuzzer exited with code {run.returncode} before fuzzing: {_tail(run.output)}"
    return FuzzOutcome(True, f"{INCONCLUSIVE}: {detail}")
