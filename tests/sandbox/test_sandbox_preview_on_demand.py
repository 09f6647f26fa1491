"""Starting a stored version's preview on request (POST …/versions/{n}/preview), after a restart.

One real server validates in the sandbox and keeps at most one preview (APIFORGE_PREVIEW_MAX=1),
so the limit shows with two projects. Its uids lie outside the range the autouse fixture watches
(previews outlive single tests here); the module checks its own range once the server stops.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from apiforge.server.routes_preview import unpreviewable_reason
from apiforge.store.models import ApiVersion
from apiforge.store.status import VersionStatus
from tests.sandbox.conftest import needs_bwrap
from tests.server_process import NO_LIMITS, ServerProcess, worker_uid
from tests.sse_reader import frames

pytestmark = [pytest.mark.sandbox, needs_bwrap]

FIRST_UID = 64400
OWN_UIDS = range(worker_uid(FIRST_UID), worker_uid(FIRST_UID) + 8)  # as the server shifts it
VALIDATED_S = 180.0


@dataclass
class Projects:
    server: ServerProcess
    blog: str  # v1: posts; v2 adds comments
    library: str  # v1 only
    unreadable: str  # v1 failed: the prompt was not understood


def _create(server: ServerProcess, prompt: str) -> str:
    answer = httpx.post(f"{server.url}/api/projects", json={"prompt": prompt}, timeout=10)
    assert answer.status_code == 201, answer.text
    project_id: str = answer.json()["project"]["id"]
    return project_id


def _wait_done(server: ServerProcess, project_id: str, number: int) -> str:
    deadline = time.monotonic() + VALIDATED_S
    url = f"{server.url}/api/projects/{project_id}/versions/{number}"
    while time.monotonic() < deadline:
        status: str = httpx.get(url, timeout=10).json()["version"]["status"]
        if status not in ("pending", "generating", "validating"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"{project_id} v{number} still running after {VALIDATED_S} s")


def _uids_in_use() -> set[int]:
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue
        uid_lines = [line for line in status.splitlines() if line.startswith("Uid:")]
        found.update(int(line.split()[1]) for line in uid_lines)
    return found


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Projects]:
    # One user builds several projects back to back: the per-user limits are not under test here.
    env = {
        **NO_LIMITS,
        "APIFORGE_VALIDATOR": "sandbox",
        "APIFORGE_SANDBOX_FUZZ_S": "0",
        "APIFORGE_SANDBOX_FIRST_UID": str(FIRST_UID),
        "APIFORGE_PREVIEW_MAX": "1",
    }
    server = ServerProcess(tmp_path_factory.mktemp("preview-on-demand"), env=env)
    server.start()
    try:
        blog = _create(server, "a blog API with posts (title, body)")
        library = _create(server, "A library API with books and members")
        unreadable = _create(server, "hello there, how are you?")
        assert _wait_done(server, blog, 1) == "complete"
        follow_up = {"prompt": "add comments with text"}
        answer = httpx.post(f"{server.url}/api/projects/{blog}/versions", json=follow_up)
        assert answer.status_code == 202, answer.text
        assert _wait_done(server, library, 1) == "complete"
        assert _wait_done(server, blog, 2) == "complete"
        assert _wait_done(server, unreadable, 1) == "failed"
        server.restart()  # previews do not survive it
        yield Projects(server, blog, library, unreadable)
    finally:
        server.stop()
    assert not _uids_in_use() & set(OWN_UIDS), "a preview outlived the server"


def preview_api(projects: Projects, project_id: str, number: int) -> str:
    return f"{projects.server.url}/api/projects/{project_id}/versions/{number}/preview"


def start(projects: Projects, project_id: str, number: int) -> httpx.Response:
    return httpx.post(preview_api(projects, project_id, number), timeout=60)


def status(projects: Projects, project_id: str, number: int) -> dict[str, object]:
    answer = httpx.get(preview_api(projects, project_id, number), timeout=10)
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def through_preview(projects: Projects, project_id: str, path: str) -> httpx.Response:
    return httpx.get(f"{projects.server.url}/preview/{project_id}/{path}", timeout=10)


async def test_an_old_version_starts_after_a_restart_and_serves_its_own_routes(
    projects: Projects,
) -> None:
    blog = projects.blog
    assert status(projects, blog, 1) == {
        "project_id": blog,
        "version_number": 1,
        "state": "stopped",
        "url": None,
        "serving_version": None,
        "reason": None,
        "partial": False,
    }
    answer = start(projects, blog, 1)
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "running" and answer.json()["serving_version"] == 1
    assert answer.json()["url"] == f"/preview/{blog}/"
    assert through_preview(projects, blog, "posts").status_code == 200
    assert through_preview(projects, blog, "comments").status_code == 404  # only in v2
    paths = through_preview(projects, blog, "openapi.json").json()["paths"]
    assert "/posts" in paths and "/comments" not in paths

    # Other tabs hear of it: preview:ready for v1, after v2 was generated.
    seen: list[tuple[str, int]] = []
    async for frame in frames(projects.server.url, blog, last_event_id=0):
        seen.append((frame.event, frame.data["version_number"]))
        if seen[-1] == ("preview:ready", 1) and ("version:complete", 2) in seen:
            break
    assert frame.data["url"] == f"/preview/{blog}/"

    assert start(projects, blog, 2).json()["state"] == "running"
    assert through_preview(projects, blog, "comments").status_code == 200
    assert status(projects, blog, 1)["state"] == "stopped"
    assert status(projects, blog, 1)["serving_version"] == 2
    again = start(projects, blog, 2)  # already running: reused
    assert again.status_code == 200 and again.json()["serving_version"] == 2


def test_starting_a_preview_respects_the_limit(projects: Projects) -> None:
    blog, library = projects.blog, projects.library
    assert start(projects, blog, 2).status_code == 200
    answer = start(projects, library, 1)
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "running"
    # APIFORGE_PREVIEW_MAX=1: the blog's preview made room for the library's.
    assert status(projects, blog, 2)["state"] == "stopped"
    assert status(projects, blog, 2)["serving_version"] is None
    gone = through_preview(projects, blog, "posts")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    assert through_preview(projects, library, "openapi.json").status_code == 200


def test_versions_that_cannot_be_previewed_say_why(projects: Projects) -> None:
    failed = start(projects, projects.unreadable, 1)
    assert failed.status_code == 409
    assert failed.json()["error"]["code"] == "not_previewable"
    assert "cannot be previewed" in failed.json()["error"]["message"]
    shown = status(projects, projects.unreadable, 1)
    assert shown["state"] == "unavailable" and shown["reason"] == failed.json()["error"]["message"]

    for project_id, number in ((projects.blog, 9), ("no-such-project", 1)):
        missing = start(projects, project_id, number)
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"
        assert httpx.get(preview_api(projects, project_id, number)).status_code == 404


def test_a_version_that_failed_validation_is_not_previewable() -> None:
    stages = [{"stage": "boot", "ok": True}, {"stage": "tests", "ok": False}]
    version = ApiVersion(
        version_number=3, status=VersionStatus.FAILED, validation=json.dumps(stages)
    )
    assert unpreviewable_reason(version) == "Version 3 failed validation, so it cannot be previewed"
    version.status, version.validation = VersionStatus.COMPLETE, json.dumps(stages[:1])
    assert unpreviewable_reason(version) is None


async def test_without_a_sandbox_previews_are_off(live_server: ServerProcess) -> None:
    project_id = _create(live_server, "a todo API with tasks")
    assert _wait_done(live_server, project_id, 1) == "complete"
    url = f"{live_server.url}/api/projects/{project_id}/versions/1/preview"
    refused = httpx.post(url)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "previews_off"
    assert httpx.get(url).json()["state"] == "unavailable"
