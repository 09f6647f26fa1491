"""What the CLI prints for a validation stage: a fuzz stage that proved nothing gets no ✓."""

from __future__ import annotations

import pytest

from apiforge.cli_display import stage_mark
from apiforge.events.types import ValidationProgress


@pytest.mark.parametrize(
    ("ok", "detail", "mark"),
    [
        (True, "17/17 tests passed", "✓"),
        (False, "2 of 17 tests failed", "✗"),
        (True, "inconclusive: 0 of 11 operations fuzzed (4 requests)", "?"),
    ],
)
def test_a_stage_is_marked_by_what_it_proved(ok: bool, detail: str, mark: str) -> None:
    event = ValidationProgress(project_id="p", version_number=1, stage="x", ok=ok, detail=detail)
    assert stage_mark(event) == mark
