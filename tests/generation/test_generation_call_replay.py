"""After a restart the streaming step runs again, its provider calls too: a call that repeats one
already in the log is not sent again, though its timing is new (docs/events.md, After a restart).
A real event log on SQLite, the resuming emitter the streaming step uses."""

from __future__ import annotations

from apiforge.events.bus import InMemoryBus
from apiforge.events.log import EventLog
from apiforge.events.types import Event, MessageChunk, ProviderCall, StepStart, VersionStart
from apiforge.generation.plumbing.emitter import VersionIds
from apiforge.generation.steps import resume
from apiforge.store.db import Database
from tests.log_events import new_project


def call(project_id: str, *, duration_ms: int, completion_tokens: int = 40) -> ProviderCall:
    return ProviderCall(
        project_id=project_id,
        version_number=1,
        round=0,
        call=0,
        provider="openai",
        model="m",
        prompt_tokens=100,
        completion_tokens=completion_tokens,
        first_token_ms=duration_ms // 4,
        duration_ms=duration_ms,
        outcome="ok",
    )


async def first_run_then_rerun(database: Database, rerun_tokens: int = 40) -> list[Event]:
    """A first run logged up to its call, then a re-run that says the same and makes the call
    again, taking longer, with ``rerun_tokens``: what the re-run sent."""
    project_id = await new_project(database)
    log = EventLog(database, InMemoryBus())  # not started: settle() writes what is pending
    ids = VersionIds(project_id=project_id, version_number=1)
    plan = MessageChunk(**ids, text="Plan: one file.\n")
    first_run: list[Event] = [
        VersionStart(**ids, version_id="v1", prompt="a health API"),
        StepStart(**ids, step="planning", message="Planning the API", progress=0),
        plan,
        call(project_id, duration_ms=700),
    ]
    for event in first_run:
        await log.append(event)
    emitter = await resume.stream_emitter(
        log, project_id=project_id, version_number=1, coalesce_s=0.05
    )
    assert isinstance(emitter, resume.ResumingEmitter)
    await emitter.emit(plan)
    await emitter.emit(call(project_id, duration_ms=910, completion_tokens=rerun_tokens))
    await emitter.stream_ended()
    await log.settle()
    logged = [envelope.event for envelope in await log.read_after(project_id, 0)]
    return logged[len(first_run) :]


async def test_a_replayed_call_measured_again_is_not_sent_twice(database: Database) -> None:
    assert await first_run_then_rerun(database) == []


async def test_a_call_with_other_tokens_is_another_answer(database: Database) -> None:
    sent = await first_run_then_rerun(database, rerun_tokens=41)
    assert [event.type for event in sent] == ["step:start", "message:chunk", "provider:call"]
    assert isinstance(sent[0], StepStart) and sent[0].resumed
