"""The version HTTP API against a real server: files, diff, restore, regenerate, fork, exports."""

from __future__ import annotations

import asyncio
import io
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server_process import ServerProcess
from tests.sse_reader import Frame, read_until_terminal
from tests.versions.server_history import (
    PROMPT,
    SECOND,
    THIRD,
    History,
    build_history,
    files_of,
    versions_of,
)


@pytest.fixture(scope="module")
def history(live_server: ServerProcess) -> History:
    """v1..v3 of one project, shared by the tests that only read it."""
    return asyncio.run(build_history(live_server.url, (PROMPT, SECOND, THIRD)))


def test_history_versions_differ(history: History) -> None:
    assert history.files[1] != history.files[2] != history.files[3]
    assert all(history.files[n] for n in (1, 2, 3))


def test_single_file_is_served_raw(history: History) -> None:
    for number in (1, 3):
        # A sample keeps this fast; the deepest path checks that slashes pass through.
        paths = sorted(history.files[number], key=lambda p: (-p.count("/"), p))[:4]
        for path in paths:
            content = history.files[number][path]
            response = httpx.get(history.api(f"/versions/{number}/files/{path}"))
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/plain")
            assert response.content == content.encode("utf-8")


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and isinstance(error["message"], str) and error["message"]


def test_missing_file_is_404(history: History) -> None:
    assert_error(httpx.get(history.api("/versions/1/files/no/such.py")), 404, "not_found")


def expected_operations(old: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    operations = {}
    for path in set(old) | set(new):
        if path not in old:
            operations[path] = "created"
        elif path not in new:
            operations[path] = "deleted"
        elif old[path] != new[path]:
            operations[path] = "modified"
    return operations


def check_diff(body: dict[str, Any], old: dict[str, str], new: dict[str, str]) -> None:
    assert "routes" in body  # None: the offline engine ships no openapi.json
    changes = {change["path"]: change for change in body["files"]}
    assert {p: c["operation"] for p, c in changes.items()} == expected_operations(old, new)
    assert [change["path"] for change in body["files"]] == sorted(changes)
    for path, change in changes.items():
        diff = change["unified_diff"]
        old_name = f"a/{path}" if path in old else "/dev/null"
        new_name = f"b/{path}" if path in new else "/dev/null"
        assert diff.startswith(f"--- {old_name}") and f"\n+++ {new_name}" in diff
        removed = {
            line[1:] for line in diff.splitlines() if line.startswith("-") and line[1:4] != "-- "
        }
        added = {
            line[1:] for line in diff.splitlines() if line.startswith("+") and line[1:4] != "++ "
        }
        assert removed <= set(old.get(path, "").splitlines())
        assert added <= set(new.get(path, "").splitlines())
        assert added or removed


def test_diff_defaults_to_previous_version(history: History) -> None:
    response = httpx.get(history.api("/versions/3/diff"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["version_number"], body["against"]) == (3, 2)
    assert body["files"], "v3 changed nothing"
    check_diff(body, history.files[2], history.files[3])


def test_diff_against_chosen_version(history: History) -> None:
    body = httpx.get(history.api("/versions/3/diff"), params={"against": 1}).json()
    assert (body["version_number"], body["against"]) == (3, 1)
    check_diff(body, history.files[1], history.files[3])
    first = httpx.get(history.api("/versions/1/diff")).json()
    assert first["against"] is None
    assert {c["operation"] for c in first["files"]} == {"created"}
    assert len(first["files"]) == len(history.files[1])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/versions/9/files/app/main.py"),
        ("GET", "/versions/9/diff"),
        ("GET", "/versions/2/diff?against=9"),
        ("POST", "/versions/9/restore"),
        ("POST", "/versions/9/regenerate"),
        ("POST", "/versions/9/fork"),
        ("GET", "/versions/9/archive.zip"),
    ],
)
def test_unknown_version_is_404(history: History, method: str, path: str) -> None:
    before = len(versions_of(history.url, history.project_id))
    assert_error(httpx.request(method, history.api(path)), 404, "not_found")
    assert len(versions_of(history.url, history.project_id)) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/versions/1/files/app/main.py"),
        ("GET", "/versions/1/diff"),
        ("POST", "/versions/1/restore"),
        ("POST", "/versions/1/regenerate"),
        ("POST", "/versions/1/fork"),
        ("GET", "/versions/1/archive.zip"),
        ("GET", "/history.bundle"),
    ],
)
def test_unknown_project_is_404(live_server: ServerProcess, method: str, path: str) -> None:
    response = httpx.request(method, f"{live_server.url}/api/projects/nope{path}")
    assert_error(response, 404, "not_found")


def unzip_python(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names == sorted(names)
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
        return {name: archive.read(name).decode("utf-8") for name in names}


def test_archive_zip_holds_the_version_file_by_file(history: History, tmp_path: Path) -> None:
    response = httpx.get(history.api("/versions/2/archive.zip"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and '-v2.zip"' in disposition
    entries = unzip_python(response.content)
    roots = {name.split("/", 1)[0] for name in entries}
    assert len(roots) == 1
    root = roots.pop()
    assert root.endswith("-v2") and disposition.endswith(f'filename="{root}.zip"')
    assert {name.split("/", 1)[1]: text for name, text in entries.items()} == history.files[2]
    again = httpx.get(history.api("/versions/2/archive.zip")).content
    assert again == response.content
    other = httpx.get(history.api("/versions/3/archive.zip")).content
    assert other != response.content


@pytest.mark.skipif(shutil.which("unzip") is None, reason="needs the unzip CLI")
def test_archive_extracts_with_unzip_cli(history: History, tmp_path: Path) -> None:
    archive = tmp_path / "v3.zip"
    archive.write_bytes(httpx.get(history.api("/versions/3/archive.zip")).content)
    out = tmp_path / "out"
    result = subprocess.run(
        ["unzip", "-q", str(archive), "-d", str(out)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    (root,) = list(out.iterdir())
    extracted = {
        str(path.relative_to(root)): path.read_text("utf-8")
        for path in root.rglob("*")
        if path.is_file()
    }
    assert extracted == history.files[3]


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def tree_files(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): path.read_text("utf-8")
        for path in root.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_history_bundle_clones_to_full_history(history: History, tmp_path: Path) -> None:
    response = httpx.get(history.api("/history.bundle"), timeout=30)
    assert response.status_code == 200, response.text
    bundle = tmp_path / "history.bundle"
    bundle.write_bytes(response.content)
    git("clone", "-q", str(bundle), "clone", cwd=tmp_path)
    clone = tmp_path / "clone"
    messages = git("log", "--reverse", "--format=%B%x00", cwd=clone).split("\x00")
    assert [m.strip() for m in messages if m.strip()] == [PROMPT, SECOND, THIRD]
    assert tree_files(clone) == history.files[3]
    for number, ref in ((1, "HEAD~2"), (2, "HEAD~1")):
        listed = git("ls-tree", "-r", "--name-only", ref, cwd=clone).split()
        assert sorted(listed) == sorted(history.files[number])
    for path, content in history.files[1].items():
        assert git("show", f"HEAD~2:{path}", cwd=clone) == content
    dates = git("log", "--reverse", "--format=%at", cwd=clone).split()
    created = [v["created_at"] for v in versions_of(history.url, history.project_id)[:3]]
    assert len(dates) == 3 and dates == sorted(dates) and len(created) == 3
    again = httpx.get(history.api("/history.bundle"), timeout=30).content
    assert again == response.content


async def wait_terminal(url: str, pid: str, number: int, after: int | None) -> list[Frame]:
    return await asyncio.wait_for(read_until_terminal(url, pid, number, after), 60)


async def test_restore_makes_new_version_with_old_files(live_server: ServerProcess) -> None:
    h = await build_history(live_server.url, (PROMPT, SECOND, THIRD))
    watcher = asyncio.create_task(wait_terminal(h.url, h.project_id, 4, h.last_event_id))
    await asyncio.sleep(0.2)  # let the SSE client connect before the version exists
    response = httpx.post(h.api("/versions/1/restore"))
    assert response.status_code == 201, response.text
    version = response.json()["version"]
    assert (version["number"], version["status"], version["origin"]) == (4, "complete", "restore")
    frames = await watcher
    ours = [f for f in frames if f.data["version_number"] == 4]
    assert [f.event for f in ours] == ["version:start", "version:complete"]
    assert ours[0].data["version_id"] == version["id"]
    assert ours[1].data["status"] == "complete"
    assert files_of(h.url, h.project_id, 4) == h.files[1]
    assert {n: files_of(h.url, h.project_id, n) for n in (1, 2, 3)} == h.files
    assert [v["status"] for v in versions_of(h.url, h.project_id)] == ["complete"] * 4
    chat = httpx.get(h.api("/messages")).json()["messages"]
    assert chat[-1]["version_number"] == 4 and "v1" in chat[-1]["content"]
    diff = httpx.get(h.api("/versions/4/diff"), params={"against": 1}).json()
    assert diff["files"] == []


async def test_regenerate_reruns_prompt_on_version_before(live_server: ServerProcess) -> None:
    h = await build_history(live_server.url, (PROMPT, SECOND, THIRD))
    response = httpx.post(h.api("/versions/2/regenerate"))
    assert response.status_code == 202, response.text
    version = response.json()["version"]
    assert version["number"] == 4 and version["prompt"] == SECOND
    assert version["origin"] == "regenerate" and version["base_version_number"] == 1
    frames = await wait_terminal(h.url, h.project_id, 4, h.last_event_id)
    assert frames[-1].event == "version:complete" and frames[-1].data["status"] == "complete"
    # The offline engine is deterministic: the same prompt on the same base gives v2's files.
    assert files_of(h.url, h.project_id, 4) == h.files[2]
    assert {n: files_of(h.url, h.project_id, n) for n in (1, 2, 3)} == h.files


async def test_fork_copies_files_and_chat(history: History) -> None:
    response = httpx.post(history.api("/versions/2/fork"))
    assert response.status_code == 201, response.text
    body = response.json()
    fork_id = body["project"]["id"]
    assert fork_id != history.project_id
    assert (body["version"]["number"], body["version"]["status"]) == (1, "complete")
    assert files_of(history.url, fork_id, 1) == history.files[2]
    assert [v["number"] for v in versions_of(history.url, fork_id)] == [1]
    source_chat = httpx.get(history.api("/messages")).json()["messages"]
    fork_chat = httpx.get(f"{history.url}/api/projects/{fork_id}/messages").json()["messages"]
    expected = [(m["role"], m["content"]) for m in source_chat if m["version_number"] <= 2]
    assert [(m["role"], m["content"]) for m in fork_chat] == expected
    assert len(versions_of(history.url, history.project_id)) == 3
    frames = await wait_terminal(history.url, fork_id, 1, None)
    assert [f.event for f in frames] == ["version:start", "version:complete"]
    listed = {p["id"] for p in httpx.get(f"{history.url}/api/projects").json()["projects"]}
    assert fork_id in listed


async def test_restore_and_regenerate_refused_while_running(slow_server: ServerProcess) -> None:
    created = httpx.post(f"{slow_server.url}/api/projects", json={"prompt": PROMPT})
    pid = created.json()["project"]["id"]
    base = f"{slow_server.url}/api/projects/{pid}"
    for action in ("restore", "regenerate", "fork"):
        assert_error(httpx.post(f"{base}/versions/1/{action}"), 409, "generation_running")
    assert len(versions_of(slow_server.url, pid)) == 1
    await wait_terminal(slow_server.url, pid, 1, None)
