"""Both real SDKs against the scripted loopback server, through stream_attempt."""

from __future__ import annotations

import asyncio
import time

import pytest

from apiforge.events.types import Usage
from apiforge.generation.plumbing.attempt import stream_attempt
from apiforge.generation.reply_format.parse_events import (
    FileClosed,
    FileUnclosed,
    ParseEvent,
    Prose,
    Summary,
)
from apiforge.providers.base import GenerationRequest, StreamEnd
from apiforge.providers.errors import ProviderBadResponse, ProviderStalled, ProviderUnavailable

from .protocols import Dialect
from .scripted_server import Drop, Hang, Pause, Reply, ScriptedServer

REQUEST = GenerationRequest(prompt="a books API", version_number=1)
REPLY = (
    "Plan: 2 files.\n"
    '<file path="requirements.txt">\nfastapi\n</file>\n'
    '<file path="app/main.py">\nfrom fastapi import FastAPI\n\napp = FastAPI()\n</file>\n'
    "<summary>A books API.</summary>\n"
)
FILES = {
    "requirements.txt": "fastapi\n",
    "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
}


async def collect(
    dialect: Dialect, server: ScriptedServer, **options: float
) -> tuple[list[ParseEvent], StreamEnd]:
    provider = dialect.provider(server.url)
    events: list[ParseEvent] = []
    end: StreamEnd | None = None
    try:
        async for item in stream_attempt(provider, REQUEST, **options):  # type: ignore[arg-type]
            if isinstance(item, StreamEnd):
                end = item
            else:
                events.append(item)
    finally:
        await provider.aclose()
    assert end is not None
    return events, end


def files_of(events: list[ParseEvent]) -> dict[str, str]:
    return {e.path: e.body for e in events if isinstance(e, FileClosed)}


def chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


async def test_a_valid_reply_streams_files_and_usage(
    dialect: Dialect, server: ScriptedServer
) -> None:
    server.script(dialect.reply(chunks(REPLY, 7), usage=(120, 45)))
    events, end = await collect(dialect, server)
    assert files_of(events) == FILES
    assert Summary("A books API.") in events
    assert end == StreamEnd("stop", Usage(prompt_tokens=120, completion_tokens=45))
    (request,) = server.requests
    assert request.path == dialect.path
    if dialect.name == "openai":
        assert request.body["stream_options"] == {"include_usage": True}
        assert request.body["messages"][0]["role"] == "system"
    else:
        assert "tagged format" in request.body["system"]


async def test_one_character_chunks_give_the_same_files(
    dialect: Dialect, server: ScriptedServer
) -> None:
    server.script(dialect.reply(list(REPLY)))
    events, _ = await collect(dialect, server)
    assert files_of(events) == FILES
    prose = "".join(e.text for e in events if isinstance(e, Prose))
    assert prose == "Plan: 2 files.\n"


async def test_a_length_cut_inside_a_file_is_continued(
    dialect: Dialect, server: ScriptedServer
) -> None:
    line_start = REPLY.index("app = FastAPI")
    cut_at = line_start + len("app = ")
    server.script(
        dialect.reply([REPLY[:cut_at]], cut=True, usage=(100, 30)),
        # The model restarts the line it was cut in; the repeated start is dropped.
        dialect.reply([REPLY[line_start:]], usage=(150, 20)),
    )
    events, end = await collect(dialect, server)
    assert files_of(events) == FILES
    assert end == StreamEnd("stop", Usage(prompt_tokens=250, completion_tokens=50))
    second = server.requests[1].body["messages"]
    assert second[-2] == {"role": "assistant", "content": REPLY[:cut_at]}
    assert "Continue it exactly" in second[-1]["content"]


async def test_continuations_stop_at_the_cap(dialect: Dialect, server: ScriptedServer) -> None:
    endless = ['<file path="app/main.py">\nx = 1\n'] + ["y = 2\n"] * 5
    server.script(*[dialect.reply([text], cut=True, usage=(10, 5)) for text in endless])
    events, end = await collect(dialect, server, max_continuations=2)
    assert len(server.requests) == 3
    assert end == StreamEnd("length", Usage(prompt_tokens=30, completion_tokens=15))
    assert events[-1] == FileUnclosed("app/main.py", "file", "x = 1\ny = 2\ny = 2\n")
    assert not files_of(events)


async def test_a_stall_is_aborted_and_retried_once(
    dialect: Dialect, server: ScriptedServer
) -> None:
    head = REPLY[: REPLY.index("from fastapi")]
    server.script(
        Reply(dialect.opening([head]) + [Hang()]),
        dialect.reply([REPLY[len(head) :]]),
    )
    started = time.monotonic()
    events, _ = await collect(dialect, server, stall_timeout_s=0.3)
    assert files_of(events) == FILES
    assert 0.3 <= time.monotonic() - started < 3
    assert server.client_disconnects == 1
    assert server.requests[1].body["messages"][-2]["content"] == head


async def test_a_second_stall_is_a_retryable_error(
    dialect: Dialect, server: ScriptedServer
) -> None:
    server.script(Reply([Hang()]), Reply(dialect.opening(["Plan"]) + [Hang()]))
    with pytest.raises(ProviderStalled) as caught:
        await collect(dialect, server, stall_timeout_s=0.2)
    assert caught.value.retryable and len(server.requests) == 2


async def test_a_mid_stream_disconnect_is_continued(
    dialect: Dialect, server: ScriptedServer
) -> None:
    head = REPLY[: REPLY.index("app = ")]
    server.script(
        Reply(dialect.opening([head]) + [Drop()]),
        dialect.reply([REPLY[len(head) :]]),
    )
    events, _ = await collect(dialect, server)
    assert files_of(events) == FILES


async def test_repeated_disconnects_end_in_a_retryable_error(
    dialect: Dialect, server: ScriptedServer
) -> None:
    server.script(*[Reply(dialect.opening(["Plan: "]) + [Drop()]) for _ in range(2)])
    with pytest.raises(ProviderUnavailable) as caught:
        await collect(dialect, server)
    assert caught.value.retryable


async def test_garbage_is_a_bad_response(dialect: Dialect, server: ScriptedServer) -> None:
    server.script(Reply([b"data: {this is not json\n\n"]))
    with pytest.raises(ProviderBadResponse):
        await collect(dialect, server)


async def test_html_instead_of_a_stream_is_a_bad_response(
    dialect: Dialect, server: ScriptedServer
) -> None:
    server.script(Reply([b"<html>proxy login</html>"], headers={"content-type": "text/html"}))
    with pytest.raises(ProviderBadResponse):
        await collect(dialect, server)


async def test_code_dumped_in_a_fence_still_becomes_a_file(
    dialect: Dialect, server: ScriptedServer
) -> None:
    dumped = "Sure!\n\n**app/main.py**\n```python\nfrom fastapi import FastAPI\n```\n"
    server.script(dialect.reply(chunks(dumped, 3)))
    events, _ = await collect(dialect, server)
    assert files_of(events) == {"app/main.py": "from fastapi import FastAPI\n"}


async def test_closing_the_attempt_closes_the_upstream_stream(
    dialect: Dialect, server: ScriptedServer
) -> None:
    slow = dialect.opening(['<file path="a.py">\n']) + [Pause(0.05), *dialect.opening(["x\n"])[-1:]]
    server.script(Reply(slow + [Pause(30)]))
    provider = dialect.provider(server.url)
    attempt = stream_attempt(provider, REQUEST)
    async for _ in attempt:
        break
    await attempt.aclose()
    await asyncio.wait_for(server.disconnected.wait(), 2)
    await provider.aclose()


async def test_cancelling_the_consumer_task_closes_the_upstream_stream(
    dialect: Dialect, server: ScriptedServer
) -> None:
    server.script(Reply(dialect.opening(['<file path="a.py">\n', "x = 1\n"]) + [Hang()]))
    provider = dialect.provider(server.url)
    seen = asyncio.Event()

    async def consume() -> None:
        async for _ in stream_attempt(provider, REQUEST):
            seen.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(seen.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(server.disconnected.wait(), 2)
    await provider.aclose()


async def test_cancelling_a_pending_next_item_then_closing_closes_upstream(
    dialect: Dialect, server: ScriptedServer
) -> None:
    """The lead's pattern: each item is awaited in its own task, cancelled on Stop."""
    server.script(Reply(dialect.opening(['<file path="a.py">\n']) + [Hang()]))
    provider = dialect.provider(server.url)
    attempt = stream_attempt(provider, REQUEST)
    assert await asyncio.ensure_future(anext(attempt)) is not None
    pending = asyncio.ensure_future(anext(attempt))
    await asyncio.sleep(0.1)
    pending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pending
    await attempt.aclose()
    await asyncio.wait_for(server.disconnected.wait(), 2)
    await provider.aclose()
