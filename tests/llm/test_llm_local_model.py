"""One small prompt end to end against the real local model (``make test-llm``, not ``make test``).

A real apiforge server with the OpenAI provider pointed at llama.cpp serving
Qwen2.5-Coder-0.5B, and the sandbox validator: the reply must become files and the version must
validate, fix rounds allowed. Slow (minutes on two cores) and needs the model installed; a
missing model fails the test rather than skipping it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apiforge.sandbox.runtime import find_bwrap
from tests.server_process import ServerProcess
from tests.sse_reader import read_until_terminal

from .local_model import ModelUnavailable, local_model

pytestmark = [pytest.mark.llm, pytest.mark.timeout(1800)]

# Not the system prompt's own example (a ping API), which the model could copy verbatim.
PROMPT = 'a greeting API: GET /hello/{name} returns {"message": "Hello, <name>"}'


@pytest.fixture(scope="module")
def model_url() -> Iterator[str]:
    try:
        with local_model() as url:
            yield url
    except ModelUnavailable as exc:
        pytest.fail(str(exc))


@pytest.fixture
def server(tmp_path: Path, model_url: str) -> Iterator[ServerProcess]:
    if find_bwrap() is None and os.geteuid() != 0:
        pytest.fail("the llm test validates in the sandbox: install bubblewrap (make system-deps)")
    process = ServerProcess(
        tmp_path,
        env={
            "APIFORGE_PROVIDER": "openai",
            "APIFORGE_MODEL": "local",
            "OPENAI_API_KEY": "local",
            "OPENAI_BASE_URL": model_url,
            "APIFORGE_VALIDATOR": "sandbox",
            "APIFORGE_SANDBOX_FUZZ_S": "0",
            "APIFORGE_FIX_ROUNDS": "2",
            "APIFORGE_MAX_OUTPUT_TOKENS": "1500",
            "APIFORGE_STALL_TIMEOUT_S": "300",
            # Greedy decoding: the same reply on every run, so the test says the same each time.
            "APIFORGE_PROVIDER_OPTIONS": '{"temperature": 0}',
        },
    )
    process.start()
    yield process
    process.stop()


async def test_a_small_prompt_becomes_validated_files(server: ServerProcess) -> None:
    response = httpx.post(f"{server.url}/api/projects", json={"prompt": PROMPT}, timeout=10)
    project_id = response.json()["project"]["id"]
    events = await read_until_terminal(server.url, project_id, 1)

    files = {f.data["path"] for f in events if f.event == "file:complete"}
    assert "app/main.py" in files, [f.data for f in events if f.event in ("error", "file:complete")]
    end = events[-1]
    assert end.event == "version:complete", end.data
    assert end.data["status"] == "complete", httpx.get(
        f"{server.url}/api/projects/{project_id}/versions/1", timeout=10
    ).json()["version"]["error"]
