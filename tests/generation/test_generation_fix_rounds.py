"""The fix round's decisions and bookkeeping, without servers: when to fix, what to say, merging."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from apiforge.events.types import Usage
from apiforge.generation.steps.fixing import merge_fix, needs_fix, problem_text, round_title
from apiforge.generation.steps.outcomes import (
    AttemptOutcome,
    StreamError,
    ValidationOutcome,
    VersionOutcome,
)

FIRST = VersionOutcome(
    status="generated",
    started=0.0,
    changes={"app/main.py": "a = 1\n", "tests/test_a.py": "x\n"},
    summary="first",
    prose="plan",
    usage=Usage(prompt_tokens=10, completion_tokens=5),
)


def validation(ok: bool, failing_tests: int = 0, *problems: str) -> ValidationOutcome:
    return ValidationOutcome(stages=(), ok=ok, problems=problems, failing_tests=failing_tests)


def outcome(**fields: Any) -> VersionOutcome:
    return replace(FIRST, **fields)


def fix(**fields: Any) -> AttemptOutcome:
    base = AttemptOutcome(status="generated", usage=Usage(prompt_tokens=3, completion_tokens=2))
    return replace(base, **fields)


def test_what_needs_a_fix() -> None:
    assert needs_fix(outcome(validation=validation(False)))
    assert not needs_fix(outcome(validation=validation(True)))
    assert not needs_fix(outcome())  # validation switched off, nothing failed
    assert not needs_fix(outcome(validation=validation(False), status="cancelled"))
    assert not needs_fix(outcome(validation=validation(False), fix_failed=True))
    # Failed edits go back once: before any round, not after one.
    assert needs_fix(outcome(validation=validation(True), edit_failures={"a.py": "no match"}))
    assert not needs_fix(outcome(edit_failures={"a.py": "no match"}, fix_round=1))


def test_round_title_counts_what_failed() -> None:
    failing = outcome(validation=validation(False, 2, "tests: F"))
    assert round_title(failing, 1, 2) == "Fixing 2 failing tests — round 1 of 2"
    boot = outcome(validation=validation(False, 0, "boot: app did not start"))
    assert round_title(boot, 2, 2) == "Fixing 1 validation problem — round 2 of 2"
    edits = outcome(edit_failures={"a.py": "x"})
    assert round_title(edits, 1, 1) == "Fixing 1 edit that did not apply — round 1 of 1"


def test_problem_text_lists_problems_and_failed_edits() -> None:
    text = problem_text(
        outcome(
            validation=validation(
                False, 0, "tests: FAILED tests/test_a.py::test_x - assert 1 == 2"
            ),
            edit_failures={"app/main.py": "app/main.py: SEARCH block 1 did not match anything."},
        )
    )
    assert "- tests: FAILED tests/test_a.py::test_x - assert 1 == 2" in text
    assert "app/main.py: SEARCH block 1 did not match anything." in text


def test_merge_sums_usage_and_layers_changes() -> None:
    before = outcome(edit_failures={"app/main.py": "bad", "b.py": "bad too"}, notes=("failed",))
    after = merge_fix(
        before,
        fix(changes={"app/main.py": "a = 2\n", "tests/test_a.py": None}, summary="fixed"),
        1,
        "Fixing — round 1 of 2",
        5.0,
    )
    assert after.changes == {"app/main.py": "a = 2\n", "tests/test_a.py": None}
    assert after.usage == Usage(prompt_tokens=13, completion_tokens=7)
    assert after.edit_failures == {"b.py": "bad too"}  # main.py was written again
    assert after.notes == ("failed", "Fixing — round 1 of 2")
    assert after.summary == "fixed" and after.fix_round == 1
    assert after.status == "generated"


def test_a_round_that_cannot_run_keeps_the_version() -> None:
    error = StreamError(code="rate_limited", message="slow down", retryable=True)
    broken = fix(status="failed", error=error, changes={"app/main.py": "half"})
    after = merge_fix(outcome(validation=validation(False)), broken, 1, "t", 0)
    assert after.changes == outcome().changes
    assert after.status == "generated" and after.fix_failed
    assert after.notes[-1] == "Round 1 could not run: slow down"
    assert not needs_fix(after)


def test_outcomes_survive_a_checkpoint() -> None:
    """DBOS 3.4 pickles step results: a recovered step must give back the same outcome."""
    import pickle

    stage_failed = validation(False, 1, "tests: F")
    checkpointed = outcome(validation=stage_failed, error=StreamError("x", "y"), notes=("n",))
    assert pickle.loads(pickle.dumps(checkpointed)) == checkpointed
