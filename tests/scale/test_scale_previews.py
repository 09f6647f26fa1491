"""A preview works whichever server process is asked: two servers on one host, one Postgres, one
Redis prefix and one preview socket dir. The generated app keeps its records in memory, so a
record written through one server and read back through the other shows both reached the same
app; the sandbox uids show that only one preview runs. Killing its owner lets the other start a
fresh one."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.sandbox.conftest import needs_bwrap
from tests.sandbox.test_sandbox_preview_on_demand import _uids_in_use
from tests.scale.conftest import Deployment, MakeCluster, create_project
from tests.server_process import ServerProcess, worker_uid

pytestmark = [pytest.mark.scale, pytest.mark.sandbox, pytest.mark.slow, needs_bwrap]

# Each server's own uid block (2 validation slots + 1 preview): a slot's cleanup ends every
# process of its uid, so two processes of one host must never share one.
FIRST_UID = {"a": 64800, "b": 64810}
PROMPT = "a blog API with posts (title, body)"


def _preview_uid(server: str) -> int:
    return worker_uid(FIRST_UID[server]) + 2


def _wait_preview(base_url: str, project_id: str, timeout: float = 60.0) -> None:
    """Until v1 is validated and its preview (started after the generation) serves."""
    url = f"{base_url}/api/projects/{project_id}/versions/1/preview"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = httpx.get(url, timeout=10).json()
        if answer["state"] == "running" and not answer["partial"]:  # not the streaming one
            return
        assert answer["state"] != "unavailable" or "still being generated" in answer["reason"]
        time.sleep(0.1)
    raise AssertionError(f"no preview after {timeout} s")


def _post(server: ServerProcess, project_id: str, title: str) -> httpx.Response:
    body = {"title": title, "body": "text"}
    return httpx.post(f"{server.url}/preview/{project_id}/posts", json=body, timeout=10)


def _titles(server: ServerProcess, project_id: str) -> list[str]:
    answer = httpx.get(f"{server.url}/preview/{project_id}/posts", timeout=10)
    assert answer.status_code == 200, answer.text
    return sorted(post["title"] for post in answer.json())


def _two_servers(
    deployment: Deployment, servers: Callable[[dict[str, str]], ServerProcess], sockets: Path
) -> tuple[ServerProcess, ServerProcess]:
    env = {**preview_env(deployment), "APIFORGE_PREVIEW_SOCKET_DIR": str(sockets)}
    a = servers({**env, "APIFORGE_SANDBOX_FIRST_UID": str(FIRST_UID["a"])})
    b = servers({**env, "APIFORGE_SANDBOX_FIRST_UID": str(FIRST_UID["b"])})
    start_together(a, b)
    return a, b


def preview_env(deployment: Deployment) -> dict[str, str]:
    """A process of the deployment that validates in the sandbox and runs one preview."""
    return {
        **deployment.env(bus="redis"),
        "APIFORGE_VALIDATOR": "sandbox",
        "APIFORGE_SANDBOX_FUZZ_S": "0",
        "APIFORGE_PREVIEW_MAX": "1",
    }


def start_together(*servers: ServerProcess) -> None:
    for server in servers:
        server.spawn()
    for server in servers:
        server.wait_until_serving(60)


async def test_a_preview_answers_through_either_server_and_a_dead_owners_is_replaced(
    deployment: Deployment,
    servers: Callable[[dict[str, str]], ServerProcess],
    tmp_path: Path,
) -> None:
    a, b = _two_servers(deployment, servers, tmp_path / "previews")
    created = httpx.post(f"{a.url}/api/projects", json={"prompt": PROMPT}, timeout=10)
    assert created.status_code == 201, created.text
    pid = created.json()["project"]["id"]
    _wait_preview(a.url, pid)  # A generated it, and started its preview

    assert _post(b, pid, "via b").status_code == 201
    assert _post(a, pid, "via a").status_code == 201
    assert _titles(a, pid) == _titles(b, pid) == ["via a", "via b"]
    # B reports A's preview as running and starting it again through B reuses it.
    started = httpx.post(f"{b.url}/api/projects/{pid}/versions/1/preview", timeout=30)
    assert started.status_code == 200, started.text
    assert started.json()["state"] == "running"
    assert _titles(b, pid) == ["via a", "via b"]
    in_use = _uids_in_use()
    assert _preview_uid("a") in in_use and _preview_uid("b") not in in_use

    a.kill()  # its sandbox dies with it (bubblewrap's --die-with-parent)
    gone = httpx.get(f"{b.url}/preview/{pid}/posts", timeout=10)
    assert gone.status_code == 404, gone.text
    started = httpx.post(f"{b.url}/api/projects/{pid}/versions/1/preview", timeout=30)
    assert started.status_code == 200, started.text
    assert started.json()["state"] == "running"
    assert _titles(b, pid) == []  # a fresh app, on B
    assert _preview_uid("b") in _uids_in_use()
    assert len(list((tmp_path / "previews").iterdir())) == 1  # A's job dir was cleaned


async def test_a_preview_a_worker_started_answers_through_an_api_process(
    make_cluster: MakeCluster, tmp_path: Path
) -> None:
    """The scale-out layout: the worker that generated the version runs its preview, and the
    API process (which runs none) forwards to its socket."""
    sandbox = {
        "APIFORGE_VALIDATOR": "sandbox",
        "APIFORGE_SANDBOX_FUZZ_S": "0",
        "APIFORGE_PREVIEW_MAX": "1",
        "APIFORGE_PREVIEW_SOCKET_DIR": str(tmp_path / "previews"),
    }
    own = {
        "api-1": {**sandbox, "APIFORGE_SANDBOX_FIRST_UID": str(worker_uid(FIRST_UID["a"]))},
        "worker-1": {**sandbox, "APIFORGE_SANDBOX_FIRST_UID": str(worker_uid(FIRST_UID["b"]))},
    }
    cluster = make_cluster(1, 1, delay_ms="0", own=own)
    api = cluster.apis[0]
    pid, _ = create_project(api.url)
    _wait_preview(api.url, pid)
    book = {"title": "t", "author": "a", "year": 2000}
    created = httpx.post(f"{api.url}/preview/{pid}/books", json=book)
    assert created.status_code == 201, created.text
    assert httpx.get(f"{api.url}/preview/{pid}/books").json()[0]["title"] == "t"
    in_use = _uids_in_use()
    assert _preview_uid("b") in in_use and _preview_uid("a") not in in_use
