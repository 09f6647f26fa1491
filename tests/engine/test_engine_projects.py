"""Generated projects really work: compile, ruff, their own pytest suite, and a schemathesis pass.

The projects run in parallel (subprocesses) once per module; each test checks one of them.
Together they cover every feature, both relation phrasings, an optional relation, every field
type and a project produced through follow-ups.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from apiforge.engine import generate
from apiforge.engine.spec import SPEC_PATH, ApiSpec
from apiforge.ports import free_port
from tests.engine.tagged import apply, split_tagged

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
BIN = Path(sys.executable).parent
SECRET = "s3cret"
PROJECTS = {
    "library": (
        "A library API with authors (name, email, website) and books (title, isbn, published "
        "year, price, is_available, genre (fiction, poetry, science), tags, released on date, "
        "printed at, optional summary). Each book belongs to an author. Add API key auth, "
        "pagination, filtering and sorting.",
    ),
    "shop": (
        "Shop backend: customers have a name and an optional phone. A customer has many orders. "
        "Orders have a quantity, a total amount and notes. Bearer token auth, full text search, "
        "timestamps, soft delete, CORS and a health endpoint.",
    ),
    # The home page's and the README's own examples: table fields, links, leftovers.
    "tasks": ("A todo API with tags and due dates, and users. Todos can be assigned to users.",),
    "bookstore": ("a bookstore API with books and authors, with pagination",),
    # A user's prompts: a join read with its fields, named choices, a bounded integer.
    "clinic": (
        "a clinic appointment API: patients (name, date of birth, phone), doctors (name, "
        "specialty) and appointments that link a patient to a doctor at a start time, with a "
        "status of scheduled, cancelled or completed",
        "add a reviews resource with rating 1-5 and a comment, linked to doctors",
    ),
    "followups": (
        "Recipes API. Each recipe has a name, a list of ingredients, cook time in minutes and a "
        "difficulty (easy, medium, hard).",
        "add cooks (name, email) and each recipe belongs to a cook",
        "rename cooks to chefs and add pagination and search",
        "make the name of recipes optional and remove the ingredients field",
    ),
}


@dataclass
class Outcome:
    spec: ApiSpec
    steps: dict[str, tuple[bool, str]]


def _build(prompts: tuple[str, ...]) -> dict[str, str]:
    files: dict[str, str] = {}
    for prompt in prompts:
        result = generate(prompt, files)
        text = "".join(
            [f'<file path="{p}">\n{c}</file>\n' for p, c in result.files.items()]
            + [f'<delete path="{p}"/>\n' for p in result.deleted]
        )
        files = apply(files, split_tagged(text))
    return files


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[bool, str]:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    return done.returncode == 0, (done.stdout + done.stderr)[-3000:]


def _schemathesis(project: Path, spec: ApiSpec, env: dict[str, str]) -> tuple[bool, str]:
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "python"), "-m", "uvicorn", "app.main:app", "--port", str(port),
         "--host", "127.0.0.1", "--log-level", "warning"],
        cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/openapi.json"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        header = {
            "api_key_auth": f"X-API-Key: {SECRET}",
            "bearer_auth": f"Authorization: Bearer {SECRET}",
        }.get(spec.auth or "")
        args = [str(BIN / "schemathesis"), "run", url, "--checks", "not_a_server_error",
                "--phases", "fuzzing", "--max-examples", "5", "--workers", "1",
                "--seed", "1", *(["-H", header] if header else [])]  # fmt: skip
        return _run(args, project, env, timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _read_only(project: Path) -> None:
    for path in [project, *project.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _validate(name: str, prompts: tuple[str, ...], root: Path) -> Outcome:
    files = _build(prompts)
    project = root / name
    for path, content in files.items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(content)
    data = root / f"{name}-data"
    data.mkdir()
    env = {**os.environ, "DATABASE_PATH": str(data / "app.sqlite3"), "API_KEY": SECRET,
           "API_TOKEN": SECRET, "PYTHONDONTWRITEBYTECODE": "1",
           "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}  # fmt: skip
    env.pop("PYTEST_ADDOPTS", None)
    steps = {
        "compile": _run([str(BIN / "python"), "-m", "compileall", "-q", "."], project, env, 60)
    }
    _read_only(project)
    steps["ruff"] = _run(
        [str(BIN / "ruff"), "check", "--isolated", "--no-cache", "."], project, env, 60
    )
    steps["pytest"] = _run(
        [str(BIN / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
         "--basetemp", str(root / f"{name}-pytest")],
        project, env, 120,
    )  # fmt: skip
    spec = ApiSpec.from_json(files[SPEC_PATH])
    steps["schemathesis"] = _schemathesis(project, spec, env)
    return Outcome(spec, steps)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    root = tmp_path_factory.mktemp("projects")
    with ThreadPoolExecutor(max_workers=len(PROJECTS)) as pool:
        futures = {name: pool.submit(_validate, name, p, root) for name, p in PROJECTS.items()}
        yield {name: future.result() for name, future in futures.items()}
    for path in root.rglob("*"):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("step", ["compile", "ruff", "pytest", "schemathesis"])
@pytest.mark.parametrize("name", list(PROJECTS))
def test_generated_project_passes(outcomes: dict[str, Outcome], name: str, step: str) -> None:
    ok, output = outcomes[name].steps[step]
    assert ok, output


def test_projects_cover_every_feature_relation_and_field_type(
    outcomes: dict[str, Outcome],
) -> None:
    specs = [outcome.spec for outcome in outcomes.values()]
    features = {feature for spec in specs for feature in spec.features}
    assert features == {"api_key_auth", "bearer_auth", "pagination", "filtering", "sorting",
                        "search", "timestamps", "soft_delete", "cors", "health"}  # fmt: skip
    relations = [rel for spec in specs for res in spec.resources for rel in res.relations]
    assert {rel.required for rel in relations} == {True, False}
    types = {f.type for spec in specs for res in spec.resources for f in res.fields}
    assert types == {"text", "integer", "number", "boolean", "date", "datetime", "email",
                     "url", "list", "enum"}  # fmt: skip
    final = outcomes["followups"].spec
    assert [r.name for r in final.resources] == ["recipes", "chefs"]
    assert final.features == ["pagination", "search"]
