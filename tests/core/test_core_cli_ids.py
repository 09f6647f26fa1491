"""The CLI takes unique id prefixes like git, and ``apiforge projects`` never cuts ids."""

from __future__ import annotations

import json
from itertools import count
from pathlib import Path

import httpx

from tests.cli_runner import run_cli
from tests.server_process import ServerProcess
from tests.sse_reader import read_until_terminal

PROMPT = "a notes API with notes (title, body, pinned)"


def listed_ids(url: str) -> list[str]:
    return [p["id"] for p in httpx.get(f"{url}/api/projects").json()["projects"]]


def projects_sharing_a_first_character(url: str) -> tuple[str, list[str]]:
    """Adds projects until two ids start alike: at most 17 (16 hex digits)."""
    while True:
        ids = listed_ids(url)
        for first in "0123456789abcdef":
            sharing = [i for i in ids if i.startswith(first)]
            if len(sharing) > 1:
                return first, sharing
        response = httpx.post(f"{url}/api/projects", json={"prompt": PROMPT})
        assert response.status_code == 201


def shortest_unique_prefix(project_id: str, ids: list[str]) -> str:
    for length in range(1, len(project_id) + 1):
        prefix = project_id[:length]
        if [i for i in ids if i.startswith(prefix)] == [project_id]:
            return prefix
    raise AssertionError("ids are unique")


def unknown_prefix(ids: list[str]) -> str:
    for n in count():
        prefix = f"{n:06x}"
        if not any(i.startswith(prefix) for i in ids):
            return prefix
    raise AssertionError("unreachable")


async def test_unique_ambiguous_and_unknown_prefixes(
    live_server: ServerProcess, tmp_path: Path
) -> None:
    url = live_server.url
    created = httpx.post(f"{url}/api/projects", json={"prompt": PROMPT}).json()
    project_id = created["project"]["id"]
    await read_until_terminal(url, project_id, 1)
    first, sharing = projects_sharing_a_first_character(url)
    prefix = shortest_unique_prefix(project_id, listed_ids(url))

    iterated = run_cli("iterate", prefix, "add tags", "--server", url, data_dir=tmp_path)
    assert iterated.returncode == 0, iterated.stdout + iterated.stderr
    assert f"project: {project_id}" in iterated.stdout
    versions = run_cli("versions", prefix.upper(), "--server", url, data_dir=tmp_path)
    assert versions.returncode == 0 and "v2" in versions.stdout

    ambiguous = run_cli("versions", first, "--server", url, data_dir=tmp_path)
    assert ambiguous.returncode == 1 and "ambiguous_id" in ambiguous.stdout
    for candidate in sharing:
        assert candidate in ambiguous.stdout  # whole ids, to pick from

    unknown = run_cli(
        "diff", unknown_prefix(listed_ids(url)), "1", "--server", url, data_dir=tmp_path
    )
    assert unknown.returncode == 1 and "not_found" in unknown.stdout
    assert "No project id starts with" in unknown.stdout


def test_projects_json_has_stable_keys(live_server: ServerProcess, tmp_path: Path) -> None:
    httpx.post(f"{live_server.url}/api/projects", json={"prompt": PROMPT})
    result = run_cli("projects", "--json", "--server", live_server.url, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == listed_ids(live_server.url)
    for row in rows:
        assert set(row) == {"id", "name", "created_at", "updated_at", "latest_version"}
        assert row["latest_version"] is None or set(row["latest_version"]) == {"number", "status"}


def test_projects_table_keeps_ids_whole_on_narrow_terminals(
    live_server: ServerProcess, tmp_path: Path
) -> None:
    long_name = "a very long project name that cannot possibly fit " * 3
    httpx.post(f"{live_server.url}/api/projects", json={"prompt": PROMPT, "name": long_name})
    for columns in ("200", "80", "50"):
        result = run_cli(
            "projects",
            "--server",
            live_server.url,
            data_dir=tmp_path,
            env={"COLUMNS": columns},
        )
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert all(len(line.rstrip()) <= int(columns) for line in lines)
        for project_id in listed_ids(live_server.url):
            assert sum(line.startswith(project_id) for line in lines) == 1
