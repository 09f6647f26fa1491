"""One generation attempt: provider calls → one parser → parse events, then one StreamEnd.

Three things can stop a model early, and each is handled here, bounded:

* It stops for length inside a file (or before its summary): ask again with the text so far
  (``continuation_of``) and keep feeding the same parser, at most ``max_continuations`` times.
* It goes silent for ``stall_timeout_s`` or the connection drops mid-stream: abort that call
  (closing its HTTP stream) and try once more — continuing from the text so far, if any.
* The consumer stops listening (cancel): closing this generator closes the upstream stream at
  once, so no more tokens are billed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Literal

from apiforge.events.types import Usage
from apiforge.generation.plumbing.provider_calls import CallLog
from apiforge.generation.reply_format.parse_events import ParseEvent, Summary
from apiforge.generation.reply_format.parser import StreamParser
from apiforge.providers.base import GenerationRequest, Provider, StreamEnd, TextDelta
from apiforge.providers.errors import ProviderStalled, ProviderUnavailable

# A continuation that starts by repeating what was already written: compare this much of it.
_OVERLAP_WINDOW = 400
_OVERLAP_MIN = 16
# A model's JSON can escape lone UTF-16 surrogates, which no UTF-8 store or file can hold.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_INTERRUPTION_RETRIES = 1


@dataclass
class _Run:
    parts: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    finish_reason: Literal["stop", "length"] = "stop"
    saw_summary: bool = False
    continuations: int = 0
    interruptions: int = 0
    calls: CallLog = field(default_factory=CallLog)

    @property
    def text(self) -> str:
        return "".join(self.parts)


async def stream_attempt(
    provider: Provider,
    request: GenerationRequest,
    *,
    max_continuations: int = 2,
    stall_timeout_s: float = 60.0,
    calls: CallLog | None = None,
) -> AsyncGenerator[ParseEvent | StreamEnd, None]:
    """The parse events of one answer, then its StreamEnd; each provider call it took is
    reported to ``calls`` as it ends."""
    parser = StreamParser()
    run = _Run(calls=calls if calls is not None else CallLog())
    current: GenerationRequest | None = request
    while current is not None:
        try:
            async with aclosing(_one_call(provider, current, parser, run, stall_timeout_s)) as call:
                async for event in call:
                    yield event
        except _Interrupted as interrupted:
            if run.interruptions >= _INTERRUPTION_RETRIES:
                raise interrupted.error from None
            run.interruptions += 1
            current = _again(request, run)
            continue
        current = None
        if _worth_continuing(run, parser) and run.continuations < max_continuations:
            run.continuations += 1
            current = _again(request, run)
    for event in parser.finish():
        yield event
    yield StreamEnd(finish_reason=run.finish_reason, usage=run.usage)


class _Interrupted(Exception):
    """A call that broke off (stall, dropped connection); ``error`` says how."""

    def __init__(self, error: ProviderStalled | ProviderUnavailable) -> None:
        super().__init__(error.message)
        self.error = error


def _worth_continuing(run: _Run, parser: StreamParser) -> bool:
    return run.finish_reason == "length" and (parser.in_block or not run.saw_summary)


def _again(request: GenerationRequest, run: _Run) -> GenerationRequest:
    if not run.parts:
        return request
    return request.model_copy(update={"continuation_of": run.text})


async def _one_call(
    provider: Provider,
    request: GenerationRequest,
    parser: StreamParser,
    run: _Run,
    stall_timeout_s: float,
) -> AsyncGenerator[ParseEvent, None]:
    """Feed one provider call into the parser; stalls and mid-stream drops become _Interrupted."""
    previous = run.text if request.continuation_of is not None else None
    held: list[str] = []  # the start of a continuation, until its overlap can be judged
    got_text = False
    run.finish_reason = "stop"
    watched = _watched(provider.stream(request), stall_timeout_s)
    async with aclosing(run.calls.measured(watched)) as outputs:
        try:
            async for output in outputs:
                if isinstance(output, StreamEnd):
                    if output.usage is not None:
                        run.usage = run.usage + output.usage
                    run.finish_reason = output.finish_reason
                    continue
                got_text = True
                text = output.text
                if previous is not None:
                    held.append(text)
                    if sum(map(len, held)) < _OVERLAP_WINDOW:
                        continue
                    text, previous, held = _strip_overlap(previous, "".join(held)), None, []
                for event in _feed(parser, run, text):
                    yield event
        except ProviderUnavailable as error:
            if not got_text:
                raise
            raise _Interrupted(error) from error
        except ProviderStalled as error:
            raise _Interrupted(error) from error
    if previous is not None and held:
        for event in _feed(parser, run, _strip_overlap(previous, "".join(held))):
            yield event


def _feed(parser: StreamParser, run: _Run, text: str) -> list[ParseEvent]:
    if not text:
        return []
    text = _LONE_SURROGATE.sub("\ufffd", text)
    run.parts.append(text)
    events = parser.feed(text)
    run.saw_summary = run.saw_summary or any(isinstance(e, Summary) for e in events)
    return events


def _strip_overlap(previous: str, new: str) -> str:
    """Drop the start of a continuation that only repeats the end of the text so far.

    Either a long repeat, or the model restarting the line it was cut off in.
    """
    partial_line = previous.rsplit("\n", 1)[-1]
    for length in range(min(len(new), len(previous), _OVERLAP_WINDOW), 0, -1):
        long_enough = length >= _OVERLAP_MIN or (length == len(partial_line) and length >= 4)
        if long_enough and previous.endswith(new[:length]):
            return new[length:]
    return new


async def _watched(
    outputs: AsyncGenerator[TextDelta | StreamEnd, None], stall_timeout_s: float
) -> AsyncGenerator[TextDelta | StreamEnd, None]:
    """The provider's outputs, or ProviderStalled after ``stall_timeout_s`` of silence.

    The provider's generator is closed in every case — on a stall, an error, or when our
    consumer closes us — which closes its HTTP response.
    """
    try:
        while True:
            try:
                async with asyncio.timeout(stall_timeout_s):
                    output = await anext(outputs)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise ProviderStalled(
                    f"The model sent nothing for {stall_timeout_s:g} seconds; the request was "
                    "stopped. Try again, or raise APIFORGE_STALL_TIMEOUT_S for a slow model."
                ) from None
            yield output
    finally:
        await outputs.aclose()
