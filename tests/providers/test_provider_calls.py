"""Each provider call is measured where every call passes (CallLog.measured, through
stream_attempt): the usage it reported, its time to the first text and to its end, how it ended.
Both real SDKs against the scripted loopback server."""

from __future__ import annotations

import ast
from pathlib import Path

from apiforge.events.types import Usage
from apiforge.generation.plumbing.attempt import stream_attempt
from apiforge.generation.plumbing.provider_calls import CallLog, CallReport
from apiforge.providers.base import GenerationRequest, StreamEnd
from apiforge.providers.errors import ProviderStalled

from .protocols import Dialect
from .scripted_server import Drop, Hang, Pause, Reply, ScriptedServer, Step

REQUEST = GenerationRequest(prompt="a books API", version_number=1)
REPLY = (
    "Plan: 1 file.\n"
    '<file path="app/main.py">\nfrom fastapi import FastAPI\n\napp = FastAPI()\n</file>\n'
    "<summary>A books API.</summary>\n"
)


async def attempt_calls(
    dialect: Dialect, server: ScriptedServer, **options: float
) -> tuple[list[CallReport], StreamEnd | None]:
    """The attempt's call reports, and its StreamEnd (None when it raised)."""
    provider = dialect.provider(server.url)
    calls = CallLog()
    end: StreamEnd | None = None
    try:
        attempt = stream_attempt(provider, REQUEST, calls=calls, **options)  # type: ignore[arg-type]
        async for item in attempt:
            end = item if isinstance(item, StreamEnd) else end
    except ProviderStalled:
        pass
    finally:
        await provider.aclose()
    return calls.take(), end


def paused_reply(dialect: Dialect, text: str, pause_s: float, usage: tuple[int, int]) -> Reply:
    """``text`` after a pause once the response has started, then its end after another."""
    head = dialect.opening([], usage[0])  # before any text (Anthropic's message_start)
    with_text = dialect.opening([text], usage[0])
    steps: list[Step] = [*head, Pause(pause_s), *with_text[len(head) :], Pause(pause_s)]
    return Reply(steps + dialect.ending(usage=usage))


async def test_a_call_reports_its_usage_first_text_and_duration(
    dialect: Dialect, server: ScriptedServer
) -> None:
    server.script(paused_reply(dialect, REPLY, 0.1, usage=(120, 45)))
    (call,), end = await attempt_calls(dialect, server)
    assert call.usage == Usage(prompt_tokens=120, completion_tokens=45)
    assert end == StreamEnd("stop", call.usage)
    assert call.outcome == "ok" and call.call == 0 and call.error_code is None
    # The first text came after the first pause, the end after both.
    assert call.first_token_ms is not None and 100 <= call.first_token_ms <= call.duration_ms
    assert call.duration_ms >= 200


async def test_a_continued_reply_is_two_calls(dialect: Dialect, server: ScriptedServer) -> None:
    cut_at = REPLY.index("app = ")
    server.script(
        dialect.reply([REPLY[:cut_at]], cut=True, usage=(100, 30)),
        dialect.reply([REPLY[cut_at:]], usage=(150, 20)),
    )
    (first, second), end = await attempt_calls(dialect, server)
    assert (first.call, first.outcome, first.usage) == (
        0,
        "length",
        Usage(prompt_tokens=100, completion_tokens=30),
    )
    assert (second.call, second.outcome, second.usage) == (
        1,
        "ok",
        Usage(prompt_tokens=150, completion_tokens=20),
    )
    assert end is not None and end.usage == Usage(prompt_tokens=250, completion_tokens=50)


async def test_a_dropped_call_is_reported_without_usage(
    dialect: Dialect, server: ScriptedServer
) -> None:
    head = REPLY[: REPLY.index("app = ")]
    server.script(
        Reply(dialect.opening([head]) + [Drop()]),
        dialect.reply([REPLY[len(head) :]], usage=(90, 10)),
    )
    (dropped, retried), _ = await attempt_calls(dialect, server)
    assert dropped.outcome == "error" and dropped.error_code == "provider_unavailable"
    assert dropped.usage is None and dropped.first_token_ms is not None
    assert retried.outcome == "ok" and retried.usage == Usage(
        prompt_tokens=90, completion_tokens=10
    )


async def test_stalled_calls_are_reported(dialect: Dialect, server: ScriptedServer) -> None:
    server.script(Reply([Hang()]), Reply(dialect.opening(["Plan"]) + [Hang()]))
    calls, end = await attempt_calls(dialect, server, stall_timeout_s=0.2)
    assert end is None
    assert [(c.call, c.outcome, c.error_code) for c in calls] == [
        (0, "stalled", "provider_stalled"),
        (1, "stalled", "provider_stalled"),
    ]
    assert calls[0].first_token_ms is None and calls[1].first_token_ms is not None
    assert all(c.usage is None and c.duration_ms >= 200 for c in calls)


async def test_a_closed_attempt_reports_its_call_cancelled(
    dialect: Dialect, server: ScriptedServer
) -> None:
    server.script(Reply(dialect.opening(['<file path="a.py">\n', "x = 1\n"]) + [Hang()]))
    provider = dialect.provider(server.url)
    calls = CallLog()
    attempt = stream_attempt(provider, REQUEST, calls=calls)
    await anext(attempt)
    assert calls.streaming
    await attempt.aclose()
    await provider.aclose()
    (call,) = calls.take()
    assert call.outcome == "cancelled" and call.usage is None and not calls.streaming


async def test_a_server_without_usage_reports_none(server: ScriptedServer) -> None:
    openai = Dialect("openai")
    reply = openai.reply([REPLY])
    # The usage chunk comes just before [DONE]: a server that never sends one.
    server.script(Reply(reply.steps[:-2] + reply.steps[-1:]))
    (call,), end = await attempt_calls(openai, server)
    assert call.outcome == "ok" and call.usage is None
    # Nothing reported adds nothing to the version's sum (which prices it as not known).
    assert end == StreamEnd("stop", Usage())


def test_every_provider_call_goes_through_the_one_wrapper() -> None:
    """The only place that calls a provider's ``stream`` is the attempt, inside CallLog.measured:
    a call made anywhere else would go unreported."""
    package = Path(__file__).resolve().parents[2] / "apiforge"
    callers = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "stream"
                and "provider" in ast.unparse(node.func.value)
            ):
                callers.add(str(path.relative_to(package)))
    assert callers == {"generation/plumbing/attempt.py"}
    source = (package / "generation/plumbing/attempt.py").read_text()
    assert "run.calls.measured(watched)" in source
