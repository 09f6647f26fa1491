"""Every provider call measured in one place: its tokens, its first text, its duration, its end.

``stream_attempt`` passes each call's output through :meth:`CallLog.measured`, which records a
:class:`CallReport` however the call ends — normally, cut at the length limit, stalled, failed,
or closed because the person pressed Stop. The attempt's consumer turns the reports into
``provider:call`` events (:func:`send_calls`), in order with the events of the reply itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field, replace

from apiforge.errors import ApiforgeError
from apiforge.events.types import CallOutcome, ProviderCall, Usage
from apiforge.generation.plumbing.emitter import VersionEmitter
from apiforge.providers.base import Provider, ProviderOutput, StreamEnd
from apiforge.providers.errors import ProviderStalled


@dataclass(frozen=True)
class CallReport:
    call: int  # its place within the attempt: 0, then continuations and retries
    usage: Usage | None  # None: the provider reported none
    first_token_ms: int | None  # None: no text came
    duration_ms: int
    outcome: CallOutcome
    error_code: str | None = None


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


@dataclass
class CallLog:
    """One attempt's calls: the ones that ended and are not yet sent, and whether one streams."""

    ended: list[CallReport] = field(default_factory=list)
    streaming: bool = False
    _count: int = 0

    async def measured(
        self, outputs: AsyncGenerator[ProviderOutput, None]
    ) -> AsyncGenerator[ProviderOutput, None]:
        """``outputs`` (one provider call) unchanged, and closed when this is; its report is
        recorded when it ends. The clock starts at the first ``anext``, which is when the
        provider sends its request."""
        started = time.monotonic()
        first_token_ms: int | None = None
        end: StreamEnd | None = None
        outcome: CallOutcome = "error"
        error_code: str | None = None
        self.streaming = True
        try:
            async for output in outputs:
                if isinstance(output, StreamEnd):
                    end = output
                elif first_token_ms is None and output.text:
                    first_token_ms = _ms_since(started)
                yield output
            outcome = "length" if end is not None and end.finish_reason == "length" else "ok"
        except (GeneratorExit, asyncio.CancelledError):
            outcome = "cancelled"  # closed by its consumer: Stop, or the attempt giving up
            raise
        except ProviderStalled as stalled:
            outcome, error_code = "stalled", stalled.code
            raise
        except ApiforgeError as error:
            error_code = error.code
            raise
        finally:
            self.streaming = False
            usage = end.usage if end is not None else None
            report = CallReport(
                self._count, usage, first_token_ms, _ms_since(started), outcome, error_code
            )
            self.ended.append(report)
            self._count += 1
            # ``async for`` leaves its iterator open: close it, which closes the HTTP stream.
            await outputs.aclose()

    def take(self) -> list[CallReport]:
        taken, self.ended = self.ended, []
        return taken


async def send_calls(
    emitter: VersionEmitter,
    provider: Provider,
    reports: list[CallReport],
    *,
    round_number: int,
    reply_had_files: bool = True,
) -> None:
    """One ``provider:call`` per report. ``reply_had_files`` False: the round's last call,
    which ended normally, gave a reply without files (the no-files rule)."""
    if reports and not reply_had_files and reports[-1].outcome == "ok":
        reports = [*reports[:-1], replace(reports[-1], outcome="no_files")]
    for report in reports:
        usage = report.usage
        event = ProviderCall(
            **emitter.ids,
            round=round_number,
            call=report.call,
            provider=provider.name,
            model=provider.model,
            prompt_tokens=usage.prompt_tokens if usage is not None else None,
            completion_tokens=usage.completion_tokens if usage is not None else None,
            first_token_ms=report.first_token_ms,
            duration_ms=report.duration_ms,
            outcome=report.outcome,
            error_code=report.error_code,
        )
        await emitter.emit(event)
