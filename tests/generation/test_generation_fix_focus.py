"""The fix round's closing section: the first problem made concrete (file, line, error, source).

The problem texts are the ones validation produced for the local 0.5B model's replies
(BENCHMARKS.md, "Real local model").
"""

from __future__ import annotations

from apiforge.generation.steps.finishing import Verdict, assistant_text
from apiforge.generation.steps.fix_focus import (
    first_focus,
    focus_text,
    layout_note,
    missing_entry_note,
)
from apiforge.generation.steps.fixing import problem_text
from apiforge.generation.steps.outcomes import StreamError, ValidationOutcome, VersionOutcome
from apiforge.store.status import VersionStatus

MAIN = (
    "from sqlalchemy import Column, DateTime\n"
    "class Task(Base):\n"
    "    created_at = Column(DateTime, default=datetime.utcnow)\n"
)
BOOT = (
    "boot: the app exited with code 1 before serving\n"
    '  File "/app/app/main.py", line 2, in <module>\n'
    "    class Task(Base):\n"
    '  File "/app/app/main.py", line 3, in Task\n'
    "    created_at = Column(DateTime, default=datetime.utcnow)\n"
    "                                          ^^^^^^^^\n"
    "NameError: name 'datetime' is not defined. Did you mean: 'DateTime'?"
)
TESTS = "tests: ERROR tests/test_todo.py - NameError: name 'datetime' is not defined"


def test_a_boot_traceback_names_the_project_file_the_line_and_the_source() -> None:
    focus = first_focus((BOOT, TESTS), {"app/main.py": MAIN, "tests/test_todo.py": "x\n"})
    assert focus is not None
    assert (focus.path, focus.line) == ("app/main.py", 3)
    assert focus.error == "NameError: name 'datetime' is not defined. Did you mean: 'DateTime'?"
    assert focus.source == "    created_at = Column(DateTime, default=datetime.utcnow)"
    assert focus.render().endswith("Change app/main.py to fix it.")


def test_frames_outside_the_project_are_skipped() -> None:
    problem = (
        "boot: exited\n"
        '  File "/app/app/main.py", line 1, in <module>\n'
        '  File "/usr/lib/python3/site-packages/fastapi/routing.py", line 9, in add\n'
        "fastapi.exceptions.FastAPIError: Invalid args for response field!"
    )
    focus = first_focus((problem,), {"app/main.py": "import fastapi\n"})
    assert focus is not None and (focus.path, focus.line) == ("app/main.py", 1)
    assert focus.error.startswith("fastapi.exceptions.FastAPIError")


def test_a_pytest_error_and_a_requirement_line_name_their_files() -> None:
    files = {"tests/test_todo.py": "x\n", "requirements.txt": "fastapi\npasslib\n"}
    failing = "tests: FAILED tests/test_todo.py::test_read - AssertionError: assert 404 == 200"
    focus = first_focus((failing,), files)
    assert focus is not None and (focus.path, focus.line) == ("tests/test_todo.py", None)
    # A failed assertion in a test points at the app's answer, not at the test.
    assert focus.render().endswith("and the test only if the test itself is wrong.")
    # A test module that failed to import names no file: the cause is often the app's code.
    focus = first_focus((TESTS,), files)
    assert focus is not None and focus.path is None
    assert focus.render() == "Fix this first: NameError: name 'datetime' is not defined"
    requirement = "dependencies: requirements.txt:2 - package 'passlib' is not available"
    focus = first_focus((requirement,), files)
    assert focus is not None and (focus.path, focus.line, focus.source) == (
        "requirements.txt",
        2,
        "passlib",
    )


def test_a_boot_traceback_cut_before_the_project_frames_names_no_file() -> None:
    problem = (
        "boot: the app exited with code 1 before serving\n"
        '  File "/usr/lib/python3/site-packages/pydantic/_generate_schema.py", line 1141, in x\n'
        "TypeError: Expected two type arguments for <class 'dict'>, got 1"
    )
    focus = first_focus((problem, TESTS), {"app/main.py": "x\n", "tests/test_todo.py": "y\n"})
    assert focus is not None and focus.path is None
    assert focus.error == "TypeError: Expected two type arguments for <class 'dict'>, got 1"


def test_a_problem_naming_no_project_file_gives_no_focus() -> None:
    assert first_focus(("smoke: 0 routes answered",), {"app/main.py": "x\n"}) is None
    assert focus_text(("smoke: 0 routes answered",), {"app/main.py": "x\n"}) is None


def test_a_missing_app_main_names_where_the_app_is() -> None:
    files = {"app/routers.py": "from fastapi import FastAPI\napp = FastAPI()\n"}
    problems = (
        "tests: ERROR tests/test_notes.py - ModuleNotFoundError: No module named 'app.main'",
    )
    note = layout_note(problems, files)
    assert note is not None
    assert "module app.routers" in note and "`from app.routers import app`" in note
    # Without an error or an import that asks for app.main, the layout is not the problem.
    assert layout_note(("tests: FAILED tests/t.py::t - assert 1 == 2",), files) is None
    # pytest's summary may lose the error ("in <module>"): the test's own import still tells.
    files["tests/test_notes.py"] = "from app.main import app\n"
    assert layout_note(("tests: tests/test_notes.py:3 - in <module>",), files) is not None


def test_no_app_at_all_says_so() -> None:
    note = layout_note(("boot: no FastAPI app found",), {"app/models.py": "x = 1\n"})
    assert (
        note == "No file creates the FastAPI app: write app/main.py with `app = FastAPI()` in it."
    )


def test_the_repair_request_ends_with_the_focus_only_after_a_failed_validation() -> None:
    failed = VersionOutcome(
        status="generated",
        started=0.0,
        changes={"app/main.py": MAIN},
        validation=ValidationOutcome(stages=(), ok=False, problems=(BOOT, TESTS)),
    )
    text = problem_text(failed, {"app/main.py": MAIN})
    assert text.endswith("Change app/main.py to fix it.")
    assert "Fix this first — app/main.py, line 3: NameError" in text
    assert "Fix this first" not in problem_text(failed)
    passed = VersionOutcome(status="generated", started=0.0, edit_failures={"a.py": "no match"})
    assert "Fix this first" not in problem_text(passed, {"a.py": "x\n"})


def test_a_failed_version_says_the_model_did_not_write_the_entry_point() -> None:
    files = {"app/routers.py": "from fastapi import FastAPI\napp = FastAPI()\n", "req.txt": ""}
    note = missing_entry_note(files)
    assert note == (
        "The model did not write app/main.py (its FastAPI app is in app.routers). "
        "The version holds: app/routers.py, req.txt."
    )
    assert missing_entry_note({"app/main.py": "x"}) is None
    assert missing_entry_note({"a.py": "x = 1\n"}) == (
        "The model did not write app/main.py (no file creates the app). The version holds: a.py."
    )
    done = VersionOutcome(status="generated", started=0.0, prose="Plan.")
    failed = Verdict(VersionStatus.FAILED, StreamError("validation_failed", "x"), True)
    assert assistant_text(done, failed, 2, files).endswith(note)
    complete = Verdict(VersionStatus.COMPLETE, None, True)
    assert "did not write" not in assistant_text(done, complete, 2, files)
