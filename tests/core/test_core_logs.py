"""APIFORGE_LOG_FORMAT=json on a real server: every line on stderr is one JSON object, a
generation's lines carry its project, version and workflow, and each request has an id (the
caller's X-Request-ID or a new one) that its lines carry and its response echoes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server_process import NO_LIMITS, ServerProcess
from tests.sse_reader import read_until_terminal

PROMPT = "a bookstore API with books (title, price) and authors (name)"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(
        tmp_path_factory.mktemp("json-logs"), env={"APIFORGE_LOG_FORMAT": "json", **NO_LIMITS}
    )
    process.stderr_path = process.data_dir / "stderr.log"
    process.start()
    yield process
    process.stop()


def stderr_lines(server: ServerProcess) -> list[dict[str, Any]]:
    """Every line on the server's stderr, parsed: a line that is not a JSON object fails."""
    assert server.stderr_path is not None
    parsed = []
    for line in server.stderr_path.read_text().splitlines():
        record = json.loads(line)
        assert isinstance(record, dict), line
        assert {"time", "level", "logger", "message"} <= record.keys(), line
        parsed.append(record)
    return parsed


def test_a_request_without_a_usable_id_gets_a_new_one(server: ServerProcess) -> None:
    if server.process is None:  # run alone after the test below stopped it
        server.start()
    plain = httpx.get(f"{server.url}/api/health", timeout=10)
    odd = httpx.get(f"{server.url}/api/health", headers={"X-Request-ID": "a b\tc"}, timeout=10)
    ids = [plain.headers["x-request-id"], odd.headers["x-request-id"]]
    assert all(len(rid) == 32 and int(rid, 16) >= 0 for rid in ids)
    assert ids[0] != ids[1]


async def test_a_generation_logs_json_lines_that_say_whose_they_are(server: ServerProcess) -> None:
    created = httpx.post(
        f"{server.url}/api/projects",
        json={"prompt": PROMPT},
        headers={"X-Request-ID": "create-bookstore-1"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    assert created.headers["x-request-id"] == "create-bookstore-1"
    pid = str(created.json()["project"]["id"])
    events = await read_until_terminal(server.url, pid, 1)
    assert events[-1].event == "version:complete"
    version_id = events[0].data["version_id"]
    server.stop()  # its last lines (shutdown) are written too, and parsed below
    lines = stderr_lines(server)
    generation = [line for line in lines if line.get("project_id") == pid]
    messages = [line["message"] for line in generation]
    assert messages[0] == "generation of v1 started"
    assert messages[1].startswith("generation of v1 ended: complete after ")
    assert len(messages) == 2
    for line in generation:
        assert line["version_number"] == 1
        assert line["workflow_id"] == f"generation-{version_id}"
        # Started by that request, the generation's lines keep its id.
        assert line["request_id"] == "create-bookstore-1"
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    created_line = next(line for line in access if "POST /api/projects" in line["message"])
    assert created_line["request_id"] == "create-bookstore-1"
    assert any(line["message"] == "Application shutdown complete." for line in lines)


def stderr_of_logging(tmp_path: Path, settings: str, *statements: str) -> str:
    """What a fresh process configured by ``logging_config(<settings>)`` writes to stderr when
    it runs ``statements`` (a process of its own: dictConfig changes the whole process)."""
    script = "\n".join(
        [
            "import logging, logging.config",
            "from apiforge.logs import logging_config",
            "from apiforge.settings import Settings",
            f"logging.config.dictConfig(logging_config({settings}))",
            *statements,
        ]
    )
    env = {**os.environ, "APIFORGE_DATA_DIR": str(tmp_path)}
    ran = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stderr


def test_httpx_request_lines_stay_out_of_the_json_log(tmp_path: Path) -> None:
    """The validator's smoke and fuzz calls to the generated app went through httpx, which
    logged each at INFO: a dozen lines per generation that said nothing about apiforge."""
    stderr = stderr_of_logging(
        tmp_path,
        "Settings(log_format='json')",
        "logging.getLogger('httpx').info('HTTP Request: GET http://app/openapi.json')",
        "logging.getLogger('httpx').warning('a warning still shows')",
        "logging.getLogger('apiforge.generation').info('generation of v1 started')",
    )
    messages = [json.loads(line)["message"] for line in stderr.splitlines()]
    assert messages == ["a warning still shows", "generation of v1 started"]


def test_text_logs_keep_apiforge_info_lines(tmp_path: Path) -> None:
    """The default text format had no root handler: an apiforge INFO line (a failover takeover,
    the start-up sweep) reached only logging's last resort, which drops INFO."""
    stderr = stderr_of_logging(
        tmp_path,
        "Settings()",
        "logging.getLogger('httpx').info('HTTP Request: GET http://app/openapi.json')",
        "logging.getLogger('apiforge.generation').info('generation of v1 started')",
        "logging.getLogger('uvicorn.error').info('Application startup complete.')",
    )
    lines = [line.split(None, 1)[1] for line in stderr.splitlines()]
    assert lines == ["generation of v1 started", "Application startup complete."]
