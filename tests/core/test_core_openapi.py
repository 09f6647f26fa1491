"""apiforge's own OpenAPI document tells the truth: schemathesis (``--checks all``, every phase)
finds nothing against a real server, and the document declares every shape and error."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiforge.server.app import create_app
from apiforge.settings import Settings
from tests.core.accounts_server import AccountsServer
from tests.server_process import NO_LIMITS, ServerProcess

OPERATIONS = 32  # every documented route: a run that tests fewer has lost some
# Fixed, so a failure reproduces (``st replay`` or the same command); bounded, to stay ~60 s.
SEED = "239662187951111064032556761033088122362"
# Streams never end by themselves: schemathesis reads at most this many events, or stops at the
# request timeout, and checks each event against the documented event schema.
CONFIG = "max-stream-events = 5\n"
# Each valid example of POST /api/generate runs a whole generation (~0.4 s): a few prove the
# route keeps its documented shapes; the global bound would spend ~20 s more on it.
GENERATE_EXAMPLES = 3


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of its own (offline engine, no validator): the run creates and deletes a lot."""
    server = ServerProcess(tmp_path_factory.mktemp("fuzzed-server"), env=NO_LIMITS)
    server.start()
    yield server
    server.stop()


def _config(max_examples: int) -> str:
    """The run's bounds; CLI options would override the per-operation one, so all live here."""
    generate = '[[operations]]\ninclude-name = "POST /api/generate"\n'
    generate += f"generation.max-examples = {GENERATE_EXAMPLES}\n"
    return f"{CONFIG}generation.max-examples = {max_examples}\n\n{generate}"


def _schemathesis(
    url: str, tmp_path: Path, max_examples: int, *options: str, operations: int = OPERATIONS
) -> str:
    """Run schemathesis (``--checks all``) against ``url``'s document; the report if it passed."""
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(max_examples))
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file", str(config)),
        *("run", f"{url}/openapi.json", "--checks", "all"),
        # One worker: with two, Hypothesis describing filters from two threads at once trips
        # CPython 3.11's parser ("AST constructor recursion depth mismatch"), a runtime error.
        *("--workers", "1", "--request-timeout", "1", "--seed", SEED),
        *("--continue-on-failure", *options),
    ]
    # In tmp_path: the run's caches (.hypothesis, …) stay out of the repository.
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-6000:]
    assert re.search(rf"Tested:\s+{operations}\b", report), report[-3000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", report)
    assert generated is not None and generated[1] == generated[2], report[-3000:]
    return report


# As long as the run's own bound (subprocess timeout): on a loaded 2-core machine the 30
# operations take 85-130 s, past the suite's default 120 s.
@pytest.mark.timeout(240)
def test_schemathesis_finds_nothing(fuzzed_server: ServerProcess, tmp_path: Path) -> None:
    report = _schemathesis(fuzzed_server.url, tmp_path, 25)
    generated = re.search(r"(\d+) generated", report)
    assert generated is not None and int(generated[1]) > 300, report[-3000:]


@pytest.fixture(scope="module")
def password_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccountsServer]:
    server = AccountsServer(tmp_path_factory.mktemp("fuzzed-password"), env=NO_LIMITS)
    server.start()
    yield server
    server.stop()


@pytest.mark.timeout(240)
def test_schemathesis_finds_nothing_signed_in(
    password_server: AccountsServer, tmp_path: Path
) -> None:
    """Password mode, as an admin with an API token: every route is reached past its 401.
    Fewer examples than the local run (the same code behind the sign-in), to stay fast."""
    token = password_server.root_token()
    auth = ("-H", f"Authorization: Bearer {token}")
    # Revoking tokens is left out: the run would revoke its own (test_core_auth.py tests it).
    keep = ("--exclude-operation-id", "revoke_token_api_tokens__token_id__delete")
    report = _schemathesis(
        password_server.url, tmp_path, 8, *auth, *keep, operations=OPERATIONS - 1
    )
    generated = re.search(r"(\d+) generated", report)
    assert generated is not None and int(generated[1]) > 100, report[-3000:]
    # Still valid at the end, so valid all along: the run was not answered 401 after some point.
    me = httpx.get(f"{password_server.url}/api/auth/me", headers=dict([auth[1].split(": ")]))
    assert me.status_code == 200


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    schema: dict[str, Any] = create_app(Settings(max_prompt_chars=1234)).openapi()
    return schema


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def test_no_open_ended_shapes(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    assert '"additionalProperties": true' not in text
    for name, operation in _operations(document):
        for status, response in operation["responses"].items():
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if status.startswith("2") and schema is not None:
                assert schema != {}, f"{name} {status} has no declared shape"


def test_every_error_is_documented_in_the_error_shape(document: dict[str, Any]) -> None:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
    for name, operation in _operations(document):
        responses = operation["responses"]
        for status, response in responses.items():
            if (name, status) == ("POST /api/generate", "504"):
                # The error shape plus the version that goes on.
                ref = response["content"]["application/json"]["schema"]["$ref"]
                extended = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
                assert extended["properties"]["error"] == {
                    "$ref": "#/components/schemas/ErrorDetail"
                }
            elif int(status) >= 400:
                assert response["content"] == error, (name, status)
        if "{project_id}" in name:
            assert "404" in responses, name
        if operation.get("requestBody"):
            assert {"400", "422"} <= set(responses), name
    detail = document["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"code", "message", "retryable"}


def test_inputs_declare_what_the_server_accepts(document: dict[str, Any]) -> None:
    prompt = document["components"]["schemas"]["PromptBody"]["properties"]["prompt"]
    assert prompt["minLength"] == 1 and prompt["maxLength"] == 1234 and prompt["pattern"]
    numbers = [
        parameter["schema"]
        for _name, operation in _operations(document)
        for parameter in operation.get("parameters", [])
        if parameter["name"] in ("number", "against")
    ]
    assert len(numbers) == 11  # ten routes take a version number, the diff also ?against=
    for schema in numbers:
        bounds = schema.get("anyOf", [schema])[0]
        assert bounds["minimum"] == 1 and bounds["maximum"] == 2**63 - 1
    stream = document["paths"]["/api/stream/{project_id}"]["get"]
    event_ids = [p["schema"]["pattern"] for p in stream["parameters"] if "event" in p["name"]]
    assert event_ids == ["^[0-9]{0,18}$"] * 2
