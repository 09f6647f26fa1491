"""Without ``--server`` the CLI finds the server of its data dir or address, else embeds; one
process serves a data dir at a time, so the UI and the CLI always see the same projects."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from apiforge.data_dir_claim import DataDirClaim, DataDirInUse, ServerRecord, current_owner
from apiforge.ports import free_port
from tests.cli_runner import cli_command, cli_env, run_cli
from tests.server_process import ServerProcess

PROMPT = "a library API with books (title, isbn) and members (name)"
EMBEDDED_NOTICE = "running one inside this command"


def cli_project_ids(data_dir: Path, env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """Ids that ``apiforge projects --json`` lists, and what it said on stderr."""
    result = run_cli("projects", "--json", data_dir=data_dir, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return {row["id"] for row in json.loads(result.stdout)}, result.stderr


def server_project_ids(url: str) -> set[str]:
    return {p["id"] for p in httpx.get(f"{url}/api/projects").json()["projects"]}


def ui_creates_project(url: str) -> str:
    response = httpx.post(f"{url}/api/projects", json={"prompt": PROMPT})
    assert response.status_code == 201
    return str(response.json()["project"]["id"])


def cli_generates_project(data_dir: Path) -> str:
    result = run_cli("generate", PROMPT, data_dir=data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.split("project: ", 1)[1].split()[0]


def test_ui_and_cli_share_projects_through_server_and_embedded(own_server: ServerProcess) -> None:
    data_dir = own_server.data_dir
    own_server.start()
    assert own_server.process is not None
    assert current_owner(data_dir) == ServerRecord(own_server.process.pid, own_server.url)
    from_ui = ui_creates_project(own_server.url)
    # The CLI's configured port is elsewhere: it finds the server through the data dir.
    ids, notes = cli_project_ids(data_dir)
    assert from_ui in ids and EMBEDDED_NOTICE not in notes
    from_cli_live = cli_generates_project(data_dir)
    assert from_cli_live in server_project_ids(own_server.url)

    own_server.stop()
    assert current_owner(data_dir) is None
    ids, notes = cli_project_ids(data_dir)
    assert EMBEDDED_NOTICE in notes and {from_ui, from_cli_live} <= ids
    from_cli_embedded = cli_generates_project(data_dir)

    own_server.start()
    assert {from_ui, from_cli_live, from_cli_embedded} <= server_project_ids(own_server.url)


def test_cli_uses_a_server_answering_at_the_configured_address(
    live_server: ServerProcess, tmp_path: Path
) -> None:
    ui_creates_project(live_server.url)
    own_dir = tmp_path / "elsewhere"
    ids, notes = cli_project_ids(own_dir, env={"APIFORGE_PORT": str(live_server.port)})
    assert ids == server_project_ids(live_server.url)
    assert EMBEDDED_NOTICE not in notes
    assert not own_dir.exists()  # nothing was started on the CLI's own data dir


def test_a_second_server_on_a_served_data_dir_is_refused(own_server: ServerProcess) -> None:
    own_server.start()
    second = ServerProcess(own_server.data_dir)
    second.log_path = own_server.data_dir / "second.log"
    try:
        with pytest.raises(RuntimeError, match="exited early"):
            second.start()
    finally:
        second.kill()
    log = second.log_path.read_text()
    assert "is already served by apiforge" in log and own_server.url in log
    assert httpx.get(f"{own_server.url}/api/health").status_code == 200


def test_claim_is_exclusive_and_released(tmp_path: Path) -> None:
    assert current_owner(tmp_path) is None
    claim = DataDirClaim(tmp_path, "http://127.0.0.1:1234")
    assert current_owner(tmp_path) == ServerRecord(os.getpid(), "http://127.0.0.1:1234")
    with pytest.raises(DataDirInUse) as refused:
        DataDirClaim(tmp_path, "http://127.0.0.1:5678")
    assert refused.value.owner == ServerRecord(os.getpid(), "http://127.0.0.1:1234")
    claim.release()
    assert current_owner(tmp_path) is None  # the record is still on disk, but nobody holds it
    DataDirClaim(tmp_path, "http://127.0.0.1:5678").release()


def wait_for_first_project(data_dir: Path, command: subprocess.Popen[bytes]) -> str:
    """The id of the project ``command`` creates, read from the server it runs embedded."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert command.poll() is None, command.communicate()
        owner = current_owner(data_dir)
        try:
            listed = httpx.get(f"{owner.url}/api/projects").json()["projects"] if owner else []
        except httpx.TransportError:
            listed = []  # still starting
        if listed:
            return str(listed[0]["id"])
        time.sleep(0.05)
    raise AssertionError("the generating command never created its project")


def test_a_command_uses_another_commands_embedded_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    slow = cli_env(data_dir, {"APIFORGE_ENGINE_DELAY_MS": "20"})
    generating = subprocess.Popen(
        cli_command("generate", PROMPT), env=slow, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        created = wait_for_first_project(data_dir, generating)
        ids, notes = cli_project_ids(data_dir)
        # It joined the generating command's server: a second one would have failed the
        # running generation as "interrupted" at start-up.
        assert EMBEDDED_NOTICE not in notes and ids == {created}
        out, err = generating.communicate(timeout=120)
    finally:
        if generating.poll() is None:
            generating.kill()
            generating.communicate()
    assert generating.returncode == 0, (out + err).decode()
    assert b"v1 complete" in out


def test_an_unreachable_server_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    done = run_cli("projects", "--server", f"http://127.0.0.1:{port}", data_dir=tmp_path / "d")
    assert done.returncode == 1
    assert f"server_unreachable: no apiforge server answered at http://127.0.0.1:{port}" in (
        done.stdout
    )
    assert "Traceback" not in done.stdout + done.stderr
