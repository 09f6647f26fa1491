"""The step bar's validating step (apiforge/web/static/js/model.js and progress.js, run under
node): done only when a validation ran for that version or a restore or fork carries its source's
report ("Validated as v1"), "skipped" for a copy of an unvalidated version or a server without a
validator — from the live events and from the REST record alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.page_js import needs_node, run_module

# Reads {"events": [...]} or {"version": {...}} on stdin; prints the steps' states and status line.
RUN_MODEL = """
import { GenerationModel, liveFromVersion } from "./model.js";
import { subStepText } from "./progress.js";
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { events, version } = JSON.parse(input);
let live;
if (version) live = liveFromVersion(version);
else {
  const model = new GenerationModel();
  for (const event of events) live = model.apply(event) || live;
}
const states = {};
for (const [step, entry] of Object.entries(live.steps)) states[step] = entry.state;
const activities = live.activities.map((activity) => activity.text);
console.log(JSON.stringify({ states, text: subStepText(live), activities }));
"""
IDS = {"project_id": "p", "version_number": 2}
STAGE = {"stage": "tests", "ok": True, "detail": "3/3 tests passed", "duration_ms": 5}

pytestmark = needs_node


def run_model(js_dir: Path, given: dict[str, Any]) -> Any:
    return run_module(RUN_MODEL, given, js_dir)


def event(seq: int, kind: str, **fields: Any) -> dict[str, Any]:
    return {"seq": seq, "type": kind, "ts": 1000 + seq, **IDS, **fields}


def test_a_restore_announced_live_is_not_shown_validated(js_dir: Path) -> None:
    # What announce_at_once sends for a restore: a start and a complete, nothing between.
    events = [
        event(1, "version:start", prompt="Restore v1"),
        event(2, "version:complete", status="complete", summary="Restored v1"),
    ]
    shown = run_model(js_dir, {"events": events})
    assert shown["states"] == {
        "planning": "done",
        "generating": "done",
        "validating": "skipped",
        "complete": "done",
    }
    assert shown["text"] == "Restored v1 · not validated"


def test_a_validated_generation_is_shown_validated(js_dir: Path) -> None:
    events = [
        event(1, "version:start", prompt="books"),
        event(2, "step:start", step="generating", message="Writing", progress=10),
        event(3, "step:start", step="validating", message="Validating", progress=80),
        event(4, "validation:start"),
        event(5, "validation:progress", **STAGE, progress=90),
        event(6, "validation:complete", ok=True, stages=[STAGE]),
        event(7, "step:complete", step="validating", message="ok", duration_ms=5),
        event(8, "version:complete", status="complete", summary="Built the API"),
    ]
    shown = run_model(js_dir, {"events": events})
    assert shown["states"]["validating"] == "done"
    assert shown["text"] == "Built the API"


@pytest.mark.parametrize(
    ("validation", "wanted"), [(None, "skipped"), ([STAGE], "done")], ids=["null", "stages"]
)
def test_a_stored_version_is_shown_validated_only_with_stages(
    js_dir: Path, validation: list[dict[str, Any]] | None, wanted: str
) -> None:
    version = {
        "number": 2,
        "status": "complete",
        "summary": "Restored v1",
        "validation": validation,
        "created_at": "2026-12-01T10:00:00Z",
        "completed_at": "2026-12-01T10:00:00Z",
    }
    shown = run_model(js_dir, {"version": version})
    assert shown["states"]["validating"] == wanted
    assert shown["states"]["complete"] == "done"


FAILED_STAGE = {"stage": "tests", "ok": False, "detail": "2/3 tests passed", "duration_ms": 5}


def test_a_restore_announced_live_with_its_sources_report_is_shown_validated(js_dir: Path) -> None:
    # What announce_at_once sends for a restore of a validated version.
    source = {"project_id": "p", "version_number": 1}
    events = [
        event(1, "version:start", prompt="Restore v1"),
        event(2, "validation:complete", ok=True, stages=[STAGE], validated_as=source),
        event(3, "version:complete", status="complete", summary="Restored v1"),
    ]
    shown = run_model(js_dir, {"events": events})
    assert set(shown["states"].values()) == {"done"}
    assert shown["text"] == "Restored v1 · Validated as v1: 3/3 tests passed"
    assert shown["activities"] == ["Validated as v1: 3/3 tests passed"]


@pytest.mark.parametrize(
    ("source", "stages", "wanted", "text"),
    [
        ("p", [STAGE], "done", "Validated as v1: 3/3 tests passed"),
        ("other", [STAGE], "done", "Validated as v1 of the original project: 3/3 tests passed"),
        ("p", [FAILED_STAGE], "failed", "Validation failed at tests (as v1)"),
    ],
    ids=["restore", "fork", "failed-source"],
)
def test_a_stored_copy_shows_the_report_it_carries(
    js_dir: Path, source: str, stages: list[dict[str, Any]], wanted: str, text: str
) -> None:
    version = {
        "number": 2,
        "project_id": "p",
        "status": "complete",
        "summary": "Restored v1",
        "validation": stages,
        "validated_as": {"project_id": source, "version_number": 1},
        "created_at": "2026-12-01T10:00:00Z",
        "completed_at": "2026-12-01T10:00:00Z",
    }
    shown = run_model(js_dir, {"version": version})
    assert shown["states"]["validating"] == wanted
    assert shown["text"] == f"Restored v1 · {text}"
