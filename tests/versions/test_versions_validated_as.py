"""A restore or fork of a validated version carries its source's validation report (its files
are byte-identical), says which version the report was made for, and tells live clients so."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.server_process import ServerProcess
from tests.sse_reader import read_until_terminal
from tests.versions.server_history import PROMPT, SECOND, THIRD, build_history, versions_of


@pytest.fixture(scope="module")
def validating_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The offline engine with the scripted validator: every stage passes, at once."""
    env = {
        "APIFORGE_VALIDATOR": "tests.generation.scripted_validator:ScriptedValidator",
        "APIFORGE_TEST_FAIL_STAGE": "",
        "APIFORGE_TEST_STAGE_DELAY_MS": "0",
    }
    server = ServerProcess(tmp_path_factory.mktemp("validating"), env=env)
    server.start()
    yield server
    server.stop()


def version_of(url: str, project_id: str, number: int) -> dict[str, Any]:
    response = httpx.get(f"{url}/api/projects/{project_id}/versions/{number}")
    assert response.status_code == 200, response.text
    version: dict[str, Any] = response.json()["version"]
    return version


async def test_restore_and_fork_carry_the_source_report(validating_server: ServerProcess) -> None:
    url = validating_server.url
    h = await build_history(url, (PROMPT, SECOND))
    v1 = version_of(url, h.project_id, 1)
    assert v1["validation"] and all(stage["ok"] for stage in v1["validation"])
    assert v1["validated_as"] is None  # its own report

    watcher = asyncio.create_task(read_until_terminal(url, h.project_id, 3, h.last_event_id))
    await asyncio.sleep(0.2)  # let the SSE client connect before the version exists
    restored = httpx.post(h.api("/versions/1/restore"), timeout=10)
    assert restored.status_code == 201, restored.text
    frames = await asyncio.wait_for(watcher, 60)
    v3 = version_of(url, h.project_id, 3)
    assert v3["validation"] == v1["validation"]
    assert v3["validated_as"] == {"project_id": h.project_id, "version_number": 1}
    assert restored.json()["version"]["validated_as"] == v3["validated_as"]
    ours = [f for f in frames if f.data["version_number"] == 3]
    assert [f.event for f in ours] == ["version:start", "validation:complete", "version:complete"]
    assert ours[1].data["ok"] is True
    assert [(s["stage"], s["detail"]) for s in ours[1].data["stages"]] == [
        (s["stage"], s["detail"]) for s in v1["validation"]
    ]
    assert ours[1].data["validated_as"] == v3["validated_as"]

    # A copy of a copy names the version the report was made for, not the copy in between.
    again = httpx.post(h.api("/versions/3/restore"), timeout=10).json()["version"]
    assert again["validated_as"] == {"project_id": h.project_id, "version_number": 1}
    fork = httpx.post(h.api("/versions/3/fork"), timeout=10).json()
    assert fork["version"]["validation"] == v1["validation"]
    assert fork["version"]["validated_as"] == {"project_id": h.project_id, "version_number": 1}


async def test_copies_of_an_unvalidated_version_stay_unvalidated(
    live_server: ServerProcess,
) -> None:
    h = await build_history(live_server.url, (PROMPT, SECOND, THIRD))
    assert version_of(h.url, h.project_id, 1)["validation"] is None  # no validator
    restored = httpx.post(h.api("/versions/1/restore"), timeout=10).json()["version"]
    forked = httpx.post(h.api("/versions/1/fork"), timeout=10).json()["version"]
    for version in (restored, forked):
        assert version["validation"] is None and version["validated_as"] is None
    listed = versions_of(h.url, h.project_id)[-1]
    assert listed["number"] == 4 and listed["validated_as"] is None
