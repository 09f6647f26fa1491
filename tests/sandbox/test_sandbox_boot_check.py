"""The cheap check before a partial preview boots: the entry module and the project modules it
imports (absolute, relative, ``from package import module``) must have landed and parse."""

from __future__ import annotations

from apiforge.sandbox.boot_check import check_boot
from apiforge.sandbox.module_imports import ParsedModules

MAIN = (
    "from fastapi import FastAPI\nfrom app.routers import items\nfrom . import db\n"
    "app = FastAPI()\n"
)


def test_waits_for_imported_modules_then_is_ready() -> None:
    files = {"app/__init__.py": "", "app/main.py": MAIN, "app/routers/__init__.py": ""}
    assert check_boot({"README.md": "x"}).state == "waiting"  # no app yet
    waiting = check_boot(files)
    assert (waiting.state, waiting.reason) == ("waiting", "app.routers.items is not written yet")
    files["app/routers/items.py"] = "from ..db import engine\n"
    assert check_boot(files).reason == "app.db is not written yet"  # relative, two levels
    files["app/db.py"] = "engine = None\n"
    ready = check_boot(files)
    assert ready.state == "ready" and ready.target == "app.main:app"
    assert set(ready.modules) == {
        "app/main.py",
        "app/__init__.py",
        "app/routers/__init__.py",
        "app/routers/items.py",
        "app/db.py",
    }


def test_a_module_that_does_not_parse_is_named() -> None:
    files = {"app/__init__.py": "", "app/main.py": MAIN.replace("import db", "import db(")}
    broken = check_boot(files)
    assert broken.state == "broken" and broken.reason.startswith("app/main.py line 3:")


def test_a_stream_parses_each_module_once_however_often_it_is_checked() -> None:
    """The partial preview checks the tree after every burst of files; with the stream's parse
    results shared (the assembler parsed each file to accept it) no module is parsed again,
    where each check used to parse every module the app reaches (work growing with files²)."""
    parsed = ParsedModules()
    landed: dict[str, str] = {}
    modules = {f"app/m{i}.py": f"from app import m{i + 1}\n" for i in range(8)}
    imports = "".join(f"from app import m{i}\n" for i in range(8))
    stream = {
        "app/__init__.py": "",
        "app/main.py": MAIN.replace("from app.routers import items\nfrom . import db\n", imports),
        **modules,
        "app/m8.py": "x = 1\n",
    }
    for path, content in stream.items():
        assert parsed.problem(path, content) is None  # the assembler's acceptance parse
        landed[path] = content
        check_boot(landed, parsed)
    assert check_boot(landed, parsed).state == "ready"
    assert parsed.parses == len(stream)
    landed["app/m8.py"] = "x = 2\n"  # a file rewritten: only it is parsed again
    check_boot(landed, parsed)
    assert parsed.parses == len(stream) + 1


def test_a_syntax_error_found_while_streaming_is_the_boot_checks_answer_too() -> None:
    parsed = ParsedModules()
    main = MAIN.replace("import db", "import db(")
    assert parsed.problem("app/main.py", main) == "app/main.py:3 - invalid syntax"
    broken = check_boot({"app/__init__.py": "", "app/main.py": main}, parsed)
    assert broken.reason == "app/main.py line 3: invalid syntax"
    assert parsed.parses == 1
