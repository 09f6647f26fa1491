"""The Python client answers with the API's documented models, maps every error status to the
one error hierarchy, and sends its token on every request; the web UI's status words come from
the same enum as the server's."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import typing
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ValidationError

from apiforge.api_models import (
    Health,
    Message,
    ProjectAndVersion,
    ProjectDetail,
    ProjectSummary,
    Version,
    VersionDiff,
)
from apiforge.client import ApiforgeClient
from apiforge.errors import (
    ApiforgeError,
    AuthenticationRequired,
    ConflictError,
    Forbidden,
    InputError,
    NotFoundError,
    RateLimited,
)
from apiforge.events.types import BaseEvent, Event, ProviderCall, VersionComplete
from apiforge.server.app import create_app
from apiforge.settings import Settings
from apiforge.store.status import ACTIVE_STATUSES, FINAL_STATUSES, VersionStatus
from tests.cli_runner import run_cli
from tests.core.accounts_server import AccountsServer
from tests.core.scripted_http import Answer, scripted_server
from tests.server_process import ServerProcess

PROMPT = "a notes API with notes (title, body, pinned)"
STATIC_JS = Path(__file__).resolve().parents[2] / "apiforge" / "web" / "static" / "js"


async def finish(client: ApiforgeClient, project_id: str, number: int) -> None:
    async with aclosing(client.events(project_id, until_version=number)) as events:
        async for _event in events:
            pass


def served(server: ServerProcess, path: str) -> Any:
    response = httpx.get(f"{server.url}{path}", timeout=15)
    assert response.status_code == 200, response.text
    return response.json()


def same(model: BaseModel | list[Any], raw: Any) -> None:
    """The model holds exactly what the server sent: no field lost, none made up."""
    dumped = (
        [m.model_dump(mode="json") for m in model]
        if isinstance(model, list)
        else model.model_dump(mode="json")
    )
    assert dumped == raw


async def test_reads_answer_the_documented_models(live_server: ServerProcess) -> None:
    async with ApiforgeClient(live_server.url) as client:
        created = await client.create_project(PROMPT, name="typed")
        assert isinstance(created, ProjectAndVersion) and created.project.name == "typed"
        assert created.version.number == 1 and created.version.status in ACTIVE_STATUSES
        pid = created.project.id
        await finish(client, pid, 1)
        health = await client.health()
        assert isinstance(health, Health) and health.status == "ok"
        projects = await client.projects()
        assert all(isinstance(p, ProjectSummary) for p in projects)
        same(projects, served(live_server, "/api/projects")["projects"])
        project = await client.project(pid)
        assert isinstance(project, ProjectDetail)
        same(project, served(live_server, f"/api/projects/{pid}"))
        versions = await client.versions(pid)
        assert [v.status for v in versions] == [VersionStatus.COMPLETE]
        same(versions, served(live_server, f"/api/projects/{pid}/versions")["versions"])
        same(
            await client.version(pid, 1),
            served(live_server, f"/api/projects/{pid}/versions/1")["version"],
        )
        files = await client.files(pid, 1)
        assert files == served(live_server, f"/api/projects/{pid}/versions/1/files")["files"]
        messages = await client.messages(pid)
        assert messages and all(isinstance(m, Message) for m in messages)
        same(messages, served(live_server, f"/api/projects/{pid}/messages")["messages"])
        assert (await client.archive(pid, 1)).startswith(b"PK")
        assert await client.history_bundle(pid)
        assert await client.cancel(pid) is False


async def test_history_operations_answer_the_documented_models(
    live_server: ServerProcess,
) -> None:
    async with ApiforgeClient(live_server.url) as client:
        pid = (await client.create_project(PROMPT)).project.id
        await finish(client, pid, 1)
        second = await client.iterate(pid, "add tags to notes")
        assert isinstance(second, Version) and second.number == 2 and second.origin == "prompt"
        await finish(client, pid, 2)
        diff = await client.diff(pid, 2)
        assert isinstance(diff, VersionDiff) and diff.against == 1 and diff.files
        same(diff, served(live_server, f"/api/projects/{pid}/versions/2/diff"))
        backwards = await client.diff(pid, 1, against=2)
        assert backwards.against == 2 and backwards.version_number == 1
        restored = await client.restore(pid, 1)
        assert (restored.number, restored.origin) == (3, "restore")
        assert restored.status is VersionStatus.COMPLETE
        forked = await client.fork(pid, 1)
        assert isinstance(forked, ProjectAndVersion) and forked.project.id != pid
        regenerated = await client.regenerate(pid, 2)
        assert (regenerated.number, regenerated.origin) == (4, "regenerate")
        await finish(client, pid, 4)
        await client.delete(forked.project.id)
        with pytest.raises(NotFoundError):
            await client.project(forked.project.id)


async def test_error_statuses_of_a_real_server(
    live_server: ServerProcess, slow_server: ServerProcess, user_server: AccountsServer
) -> None:
    async with ApiforgeClient(live_server.url) as client:
        with pytest.raises(NotFoundError) as missing:
            await client.project("0" * 32)
        assert missing.value.code == "not_found" and not missing.value.retryable
        pid = (await client.create_project(PROMPT)).project.id
        with pytest.raises(InputError) as invalid:
            await client.version(pid, 0)
        assert type(invalid.value) is InputError and invalid.value.code == "invalid_input"
        await finish(client, pid, 1)
    async with ApiforgeClient(slow_server.url) as slow:
        busy = (await slow.create_project(PROMPT)).project.id
        with pytest.raises(ConflictError) as conflict:
            await slow.iterate(busy, "add tags")
        assert conflict.value.code == "generation_running"
        assert await slow.cancel(busy) is True
        await finish(slow, busy, 1)
    async with ApiforgeClient(user_server.url) as anonymous:
        with pytest.raises(AuthenticationRequired) as unauthenticated:
            await anonymous.projects()
        assert unauthenticated.value.code == "unauthenticated"


def error_body(code: str, message: str, retryable: bool = False) -> bytes:
    detail = {"code": code, "message": message, "retryable": retryable}
    return json.dumps({"error": detail}).encode()


async def test_error_statuses_a_server_may_answer_with() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    answers = {
        "/api/projects/a": Answer(403, error_body("forbidden", "Not from this origin")),
        "/api/projects/b": Answer(
            429, error_body("too_many_writes", "Slow down", True), headers={"Retry-After": "7"}
        ),
        "/api/projects/c": Answer(
            429, error_body("too_many_versions", "Later"), headers={"Retry-After": later}
        ),
        "/api/projects/d": Answer(503, error_body("preview_busy", "Busy", True)),
        "/api/projects/e": Answer(502, b"<html>Bad gateway</html>", "text/html"),
        "/api/projects/f": Answer(200, b'{"project": {"id": "f"}}'),
    }
    with scripted_server(answers) as server:
        async with ApiforgeClient(server.url) as client:
            with pytest.raises(Forbidden) as forbidden:
                await client.project("a")
            assert forbidden.value.message == "Not from this origin"
            with pytest.raises(RateLimited) as limited:
                await client.project("b")
            assert limited.value.retry_after_s == 7 and limited.value.retryable
            assert limited.value.code == "too_many_writes"
            with pytest.raises(RateLimited) as dated:
                await client.project("c")
            assert 100 <= dated.value.retry_after_s <= 120 and dated.value.retryable
            with pytest.raises(ApiforgeError) as busy:
                await client.project("d")
            assert not isinstance(busy.value, InputError) and busy.value.retryable
            with pytest.raises(ApiforgeError) as gateway:
                await client.project("e")
            assert gateway.value.code == "http_error" and "502" in gateway.value.message
            with pytest.raises(ApiforgeError) as unexpected:
                await client.project("f")
            assert unexpected.value.code == "unexpected_answer"
            assert "ProjectDetail" in unexpected.value.message


def sse_of(*events: BaseEvent) -> bytes:
    frames = [f"id: {e.seq}\nevent: {e.type}\ndata: {e.model_dump_json()}\n\n" for e in events]
    return "".join(frames).encode()


HEALTH = Health(
    status="ok", provider="p", validator="v", subscribers=0, max_prompt_chars=9, auth="local"
)
DONE = VersionComplete(
    project_id="p1", version_number=1, seq=3, summary="s", files_changed=1, duration_ms=5
)


async def test_the_token_goes_with_every_request_the_stream_included() -> None:
    answers = {
        "/api/health": Answer(200, HEALTH.model_dump_json().encode()),
        "/api/projects": Answer(200, b'{"projects": []}'),
        "/api/stream/p1": Answer(200, sse_of(DONE), "text/event-stream"),
    }
    with scripted_server(answers) as server:
        async with ApiforgeClient(server.url, token="s3cret") as client:
            assert await client.health() == HEALTH
            assert await client.projects() == []
            received = [event async for event in client.events("p1", until_version=1)]
        assert received == [DONE]
        assert isinstance(received[0], VersionComplete)
        assert received[0].status is VersionStatus.COMPLETE
        async with ApiforgeClient(server.url) as anonymous:
            await anonymous.health()
    paths = [seen.path for seen in server.seen]
    assert paths == ["/api/health", "/api/projects", "/api/stream/p1", "/api/health"]
    assert [seen.authorization for seen in server.seen] == ["Bearer s3cret"] * 3 + [None]


CALL = ProviderCall(
    project_id="p1",
    version_number=1,
    seq=2,
    round=0,
    call=0,
    provider="openai",
    model="m",
    prompt_tokens=120,
    completion_tokens=None,
    first_token_ms=80,
    duration_ms=900,
    outcome="ok",
)


async def test_the_client_skips_event_types_it_does_not_know() -> None:
    """A newer server's event type does not stop an older client; a known one that does not
    fit its model is still an error."""
    newer = b'id: 3\nevent: future:thing\ndata: {"type": "future:thing", "seq": 3}\n\n'
    done = DONE.model_copy(update={"seq": 4})
    broken = b'id: 1\nevent: version:complete\ndata: {"type": "version:complete"}\n\n'
    answers = {
        "/api/stream/p1": Answer(200, sse_of(CALL) + newer + sse_of(done), "text/event-stream"),
        "/api/stream/p2": Answer(200, broken, "text/event-stream"),
    }
    with scripted_server(answers) as server:
        async with ApiforgeClient(server.url) as client:
            received = [event async for event in client.events("p1", until_version=1)]
            with pytest.raises(ValidationError):
                await anext(client.events("p2"))
    assert received == [CALL, done]


def test_the_page_listens_for_every_event_type() -> None:
    """EventSource hands a page only the named events it listens for (stream.js)."""
    listed = re.search(r"EVENT_TYPES = \[(.*?)\];", (STATIC_JS / "stream.js").read_text(), re.S)
    assert listed is not None
    types = set(re.findall(r'"([a-z:]+)"', listed.group(1)))
    union = typing.get_args(typing.get_args(Event)[0])
    # Not listened for by the page (before provider:call came, too): the stream ends after it.
    not_listened = {"project:deleted"}
    assert types == {cls.model_fields["type"].default for cls in union} - not_listened


def test_the_cli_sends_its_token_and_exits_with_the_error(tmp_path: Path) -> None:
    answers = {
        "/api/projects": Answer(401, error_body("unauthenticated", "Sign in first")),
        "/api/projects/0123456789abcdef0123456789abcdef/versions": Answer(
            429, error_body("too_many_writes", "Slow down", True), headers={"Retry-After": "3"}
        ),
    }
    with scripted_server(answers) as server:
        listing = run_cli("projects", "--server", server.url, "--token", "tok", data_dir=tmp_path)
        pid = "0123456789abcdef0123456789abcdef"
        iterating = run_cli(
            *("iterate", pid, "add tags", "--server", server.url),
            data_dir=tmp_path,
            env={"APIFORGE_TOKEN": "from-env"},
        )
    assert listing.returncode == 1, listing.stdout + listing.stderr
    assert "unauthenticated: Sign in first" in listing.stdout
    assert iterating.returncode == 1, iterating.stdout + iterating.stderr
    assert "too_many_writes: Slow down" in iterating.stdout
    assert [seen.authorization for seen in server.seen] == ["Bearer tok", "Bearer from-env"]


def test_the_client_imports_neither_the_server_nor_fastapi() -> None:
    probe = (
        "import sys, apiforge.client, apiforge.cli_connect; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'starlette', 'sqlalchemy') or m.startswith('apiforge.server')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


async def test_the_ui_status_module_is_the_enum(live_server: ServerProcess) -> None:
    response = httpx.get(f"{live_server.url}/static/js/statuses.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    constants = dict(re.findall(r"export const (\w+) = Object\.freeze\((.+)\);", response.text))
    assert json.loads(constants["STATUS"]) == {s.name: s.value for s in VersionStatus}
    assert set(json.loads(constants["ACTIVE_STATUSES"])) == {s.value for s in ACTIVE_STATUSES}
    assert set(json.loads(constants["FINAL_STATUSES"])) == {s.value for s in FINAL_STATUSES}
    assert 'from "./statuses.js"' in (STATIC_JS / "model.js").read_text()
    spelled = {
        path.name
        for path in STATIC_JS.glob("*.js")
        if re.search(r"status\s*[!=]==\s*\"", path.read_text())
    }
    assert spelled == set()  # compared against STATUS.*, never a literal


def test_the_document_lists_the_statuses() -> None:
    document = create_app(Settings()).openapi()
    schemas = document["components"]["schemas"]
    assert schemas["VersionStatus"]["enum"] == [s.value for s in VersionStatus]
    assert schemas["Version"]["properties"]["status"] == {
        "$ref": "#/components/schemas/VersionStatus"
    }
