"""Re-running an interrupted streaming step after a restart without showing anything twice.

DBOS recovery runs the streaming step again from its start, so the provider streams the whole
answer again. Clients already have what the first run put in the log, so the re-run is
compared, event by event, with that: while it repeats it, nothing is sent; from the first event
past it, everything is. The offline engine always repeats itself, so its generation simply goes
on. A model may answer differently; then one ``step:start`` with ``resumed: true`` tells clients
to drop what this version streamed so far, and the new answer is sent from its beginning.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial

from apiforge.events.log import EventLog
from apiforge.events.types import (
    BaseEvent,
    CodeChunk,
    Event,
    FileComplete,
    FileGenerating,
    Step,
    StepComplete,
    StepProgress,
    StepStart,
)
from apiforge.generation.plumbing.emitter import VersionEmitter

RESUMED = "Resumed after a restart"
STARTED_AGAIN = f"{RESUMED} — the answer changed, so it is written again from the start"
VALIDATING_AGAIN = f"{RESUMED} — validating again"

Comparable = dict[str, object]


def comparable(event: BaseEvent) -> Comparable:
    """What must be equal for a re-run's event to repeat one in the log: not when it was sent,
    nor how long a provider call took (a replayed call is the same call, measured again)."""
    return event.model_dump(exclude={"seq", "ts", *event.MEASURED})


def _is_resume_marker(event: Event) -> bool:
    return isinstance(event, StepProgress) and event.resumed


def streamed_body(events: Sequence[Event]) -> list[Event] | None:
    """What clients have of the version's streaming step, or None when it never started.

    ``events`` are the version's events from its ``version:start`` on. Code chunks are left out:
    ``file:complete`` carries the content.
    """
    starts = [i for i, e in enumerate(events) if isinstance(e, StepStart) and e.step == "planning"]
    if not starts:
        return None
    after_start: Sequence[Event] = events[starts[-1] + 1 :]
    return [e for e in after_start if not isinstance(e, CodeChunk) and not _is_resume_marker(e)]


def without_unfinished_file(body: Sequence[Event]) -> list[Event]:
    """``body`` up to the file that was still being written: the re-run sends that one again."""
    opened = [(i, e.path) for i, e in enumerate(body) if isinstance(e, FileGenerating)]
    if not opened:
        return list(body)
    last, path = opened[-1]
    finished = any(isinstance(e, FileComplete) and e.path == path for e in body[last:])
    return list(body) if finished else list(body[:last])


@dataclass(frozen=True)
class ResumePoint:
    """Where the picture clients have stands: the step, its progress, how many files are done."""

    step: Step
    progress: int
    files_done: int

    @classmethod
    def of(cls, body: Sequence[Event]) -> ResumePoint:
        step: Step = "planning"
        progress = 0
        for event in body:
            if isinstance(event, StepStart | StepProgress):
                step, progress = event.step, max(progress, event.progress)
        files_done = sum(1 for e in body if e.type == "file:complete")
        return cls(step=step, progress=progress, files_done=files_done)

    @property
    def message(self) -> str:
        if self.step == "planning":
            return f"{RESUMED} — continuing the plan"
        return f"{RESUMED} — continuing from file {self.files_done + 1}"


class ResumingEmitter(VersionEmitter):
    """An emitter that holds back what repeats ``body``, and starts over if the re-run differs."""

    def __init__(
        self,
        log: EventLog,
        *,
        project_id: str,
        version_number: int,
        coalesce_s: float,
        body: Sequence[Event],
    ) -> None:
        super().__init__(
            log, project_id=project_id, version_number=version_number, coalesce_s=coalesce_s
        )
        self.point = ResumePoint.of(body)
        self._expected = [comparable(e) for e in without_unfinished_file(body)]
        self._matched = 0
        # What the re-run produced while catching up, sent after all if it turns out to differ.
        self._held: list[Callable[[], Awaitable[None] | None]] = []

    @property
    def catching_up(self) -> bool:
        return self._matched < len(self._expected)

    async def announce(self) -> None:
        point = self.point
        await super().emit(
            StepProgress(
                **self.ids,
                step=point.step,
                message=point.message,
                progress=point.progress,
                resumed=True,
            )
        )

    async def emit(self, event: Event) -> None:
        if not self.catching_up:
            await super().emit(event)
            return
        self._held.append(partial(super().emit, event))
        if comparable(event) != self._expected[self._matched]:
            await self._start_again()
            return
        self._matched += 1
        if not self.catching_up:
            self._held.clear()

    async def code(self, path: str, text: str) -> None:
        if self.catching_up:
            self._held.append(partial(super().code, path, text))
        else:
            await super().code(path, text)

    def reset_file(self, path: str) -> None:
        if self.catching_up:
            self._held.append(partial(super().reset_file, path))
        else:
            super().reset_file(path)

    async def stream_ended(self) -> None:
        # Fewer events than clients have (a shorter answer, a cancel, an error): they differ.
        if self.catching_up:
            await self._start_again()

    async def _start_again(self) -> None:
        self._expected, self._matched = [], 0
        held, self._held = self._held, []
        await super().emit(
            StepStart(**self.ids, step="planning", message=STARTED_AGAIN, progress=0, resumed=True)
        )
        for send in held:
            result = send()
            if result is not None:
                await result


async def streamed_before(
    log: EventLog, project_id: str, version_number: int
) -> list[Event] | None:
    """The version's streaming-step events already in the log, or None on a first run."""
    events = await version_events(log, project_id, version_number)
    return streamed_body(events) if events else None


async def stream_emitter(
    log: EventLog, *, project_id: str, version_number: int, coalesce_s: float
) -> VersionEmitter:
    """The streaming step's emitter: a plain one on a first run, a ResumingEmitter on a re-run
    (which must ``announce`` itself before anything else is sent)."""
    body = await streamed_before(log, project_id, version_number)
    if body is None:
        return VersionEmitter(
            log, project_id=project_id, version_number=version_number, coalesce_s=coalesce_s
        )
    return ResumingEmitter(
        log,
        project_id=project_id,
        version_number=version_number,
        coalesce_s=coalesce_s,
        body=body,
    )


async def version_events(log: EventLog, project_id: str, version_number: int) -> list[Event]:
    """The version's events in the log from its ``version:start`` on (empty if not there)."""
    await log.settle()  # the log reads only committed events: this process's own included
    start = await log.latest_generation_start(project_id)
    if start is None:
        return []
    events = [
        e.event
        for e in await log.read_after(project_id, start - 1)
        if e.event.version_number == version_number
    ]
    return events if events and events[0].type == "version:start" else []


async def files_written_before(
    log: EventLog, project_id: str, version_number: int, message: str
) -> bool:
    """Whether the validation step about to run already said ``message`` (its files written):
    then it is a re-run after a restart."""
    steps = [
        e
        for e in await version_events(log, project_id, version_number)
        if isinstance(e, StepStart | StepComplete) and e.step == "generating"
    ]
    last = steps[-1] if steps else None
    return isinstance(last, StepComplete) and last.message == message
