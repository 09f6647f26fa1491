"""The page's pure view functions under node: the progress line's file count agrees with the
plan's ("N files to write"), and a version's chat items read from its REST record are the ones
its events gave (what a reload shows: apiforge/web/static/js/activity.js).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.page_js import needs_node, run_module

# Reads {"events": [...], "record": {...}}; prints each progress line the events produced and
# the chat items from the events and from the record.
RUN_VIEWS = """
import { GenerationModel } from "./model.js";
import { subStepText } from "./progress.js";
import { activityItems } from "./activity.js";
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { events, record } = JSON.parse(input);
const model = new GenerationModel();
const lines = [];
let live = null;
for (const event of events) {
  live = model.apply(event) || live;
  lines.push(subStepText(live));
}
const fromRecord = record ? activityItems(record, null) : null;
console.log(JSON.stringify({ lines, fromEvents: activityItems(record || {}, live), fromRecord }));
"""
IDS = {"project_id": "p", "version_number": 2}
PLAN = "Plan: added reviews (rating, comment, book_id) — 3 files to write, 1 to delete."
TESTS = {"stage": "tests", "ok": True, "detail": "17/17 tests passed", "duration_ms": 5}
BOOT = {"stage": "boot", "ok": False, "detail": "ImportError", "duration_ms": 5}

pytestmark = needs_node


def run_views(js_dir: Path, given: dict[str, Any]) -> Any:
    return run_module(RUN_VIEWS, given, js_dir)


class Log:
    """Events of one version, numbered in order as the server's log numbers them."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def add(self, kind: str, **fields: Any) -> None:
        seq = len(self.events) + 1
        self.events.append({"seq": seq, "type": kind, "ts": 1000 + seq, **IDS, **fields})

    def step(self, step: str, message: str, progress: int = 0) -> None:
        self.add("step:start", step=step, message=message, progress=progress, resumed=False)

    def done(self, step: str, message: str) -> None:
        self.add("step:complete", step=step, message=message, duration_ms=0)

    def file(self, path: str, operation: str) -> None:
        self.add("file:generating", path=path, operation=operation)
        self.add("file:complete", path=path, operation=operation, content="x")


def written_follow_up() -> Log:
    """A follow-up through its files: three written, one deleted, as its plan says."""
    log = Log()
    log.add("version:start", prompt="add reviews")
    log.step("planning", "Planning the API")
    log.add("message:chunk", text=PLAN)
    log.done("planning", "Plan ready")
    log.step("generating", "Writing files", 10)
    for path, operation in [
        ("app/main.py", "modified"),
        ("app/old.py", "deleted"),
        ("app/routers/reviews.py", "created"),
        ("tests/test_reviews.py", "created"),
    ]:
        log.file(path, operation)
    log.done("generating", "Files written")
    return log


def validated(log: Log, stages: list[dict[str, Any]]) -> None:
    ok = all(stage["ok"] for stage in stages)
    log.step("validating", "Running the API", 80)
    log.add("validation:start")
    log.add("validation:complete", ok=ok, stages=stages)
    log.done("validating", "Validation passed" if ok else "Validation failed")


def record(status: str, validation: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {
        "project_id": "p",
        "number": 2,
        "status": status,
        "origin": "prompt",
        "summary": "Added reviews.",
        "validation": validation,
        "created_at": "2026-12-01T10:00:00Z",
        "completed_at": "2026-12-01T10:00:05Z",
    }


def test_the_file_count_is_the_plans_files_to_write(js_dir: Path) -> None:
    shown = run_views(js_dir, {"events": written_follow_up().events})
    writing = [line for line in shown["lines"] if "files)" in line or "Deleting" in line]
    # Each file's line as it first appears (a file's events repeat its line).
    assert list(dict.fromkeys(writing)) == [
        "Generating app/main.py (1/3 files)",
        "Deleting app/old.py",
        "Generating app/routers/reviews.py (2/3 files)",
        "Generating tests/test_reviews.py (3/3 files)",
    ]


def test_a_validated_versions_record_gives_the_items_its_events_gave(js_dir: Path) -> None:
    log = written_follow_up()
    validated(log, [TESTS])
    log.step("complete", "Saving the version", 100)
    log.done("complete", "Version saved")
    log.add("version:complete", status="complete", summary="Added reviews.")
    shown = run_views(js_dir, {"events": log.events, "record": record("complete", [TESTS])})
    wanted = ["Plan ready", "Files written", "Validated: 17/17 tests passed", "Version saved"]
    assert shown["fromEvents"] == wanted
    assert shown["fromRecord"] == wanted


def test_a_version_failed_at_validation_gives_the_same_items(js_dir: Path) -> None:
    log = written_follow_up()
    validated(log, [BOOT])
    log.add("version:complete", status="failed", summary="")
    shown = run_views(js_dir, {"events": log.events, "record": record("failed", [BOOT])})
    wanted = ["Plan ready", "Files written", "Validation failed at boot"]
    assert shown["fromEvents"] == wanted
    assert shown["fromRecord"] == wanted


@pytest.mark.parametrize("origin", ["restore", "fork"])
def test_a_copied_version_has_no_items(js_dir: Path, origin: str) -> None:
    copied = {**record("complete", None), "origin": origin}
    assert run_views(js_dir, {"events": [], "record": copied})["fromRecord"] == []


def test_a_restore_shows_the_report_it_carries(js_dir: Path) -> None:
    copied = {
        **record("complete", [TESTS]),
        "origin": "restore",
        "validated_as": {"project_id": "p", "version_number": 1},
    }
    items = run_views(js_dir, {"events": [], "record": copied})["fromRecord"]
    assert len(items) == 1 and items[0].startswith("Validated as v1: "), items
