"""The cheap check before a partial preview boots: the entry module and the project modules it
imports (absolute, relative, ``from package import module``) must have landed and parse."""

from __future__ import annotations

from apiforge.sandbox.boot_check import check_boot

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
