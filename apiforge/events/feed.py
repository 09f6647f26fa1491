"""One client's view of a project's events: replay from the log, then live, joined exactly.

Subscribe first, then read the log, then forward live events whose seq is greater than the
last one sent. Anything published between the subscribe and the read arrives twice (once in
each) and is dropped by seq; nothing can fall between the two.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable

from apiforge.events.bus import Envelope, EventBus
from apiforge.events.log import EventLog
from apiforge.events.types import ProjectDeleted, Snapshot

SnapshotBuilder = Callable[[str], Awaitable[Snapshot]]
BATCH = 256
DELETED = "project:deleted"


def _deletion(project_id: str) -> Envelope:
    # Not logged (seq 0): the project's log goes with it.
    return Envelope.wrap(ProjectDeleted(project_id=project_id, version_number=0))


def announce_deletion(bus: EventBus, project_id: str) -> None:
    """Tell every open stream of the project that it is gone: each sends this and ends."""
    bus.publish(_deletion(project_id))


async def project_feed(
    *,
    log: EventLog,
    bus: EventBus,
    project_id: str,
    last_event_id: int | None,
    heartbeat_s: float,
    build_snapshot: SnapshotBuilder,
) -> AsyncGenerator[list[Envelope], None]:
    """Yield batches of envelopes in seq order; an empty batch when ``heartbeat_s`` passed
    with nothing to send. Everything already queued goes out in one batch, so a burst costs
    one write per client instead of one per event.

    Ends when the subscription overflows (a slow client): it reconnects with its last id; and
    after a ``project:deleted`` event, the last batch's last envelope.
    """
    with bus.subscribe(project_id) as subscription:
        await subscription.ready()
        if not await log.has_project(project_id):
            # Deleted between the route's check and the subscribe: the announcement was missed.
            yield [_deletion(project_id)]
            return
        last_sent, replay = await _replay(log, project_id, last_event_id, build_snapshot)
        for start in range(0, len(replay), BATCH):
            yield replay[start : start + BATCH]
        while True:
            try:
                first = await subscription.get(timeout=heartbeat_s)
            except EOFError:
                return
            if first is None:
                yield []
                continue
            batch, deleted = _fresh([first, *subscription.drain(BATCH)], last_sent)
            if batch:
                last_sent = max(last_sent, batch[-1].seq)
                yield batch
            if deleted:
                return


def _fresh(envelopes: list[Envelope], last_sent: int) -> tuple[list[Envelope], bool]:
    """The envelopes not sent yet, through a deletion if there is one (nothing follows it)."""
    batch: list[Envelope] = []
    for envelope in envelopes:
        if envelope.event.type == DELETED:
            return [*batch, envelope], True
        if envelope.seq > last_sent:
            batch.append(envelope)
    return batch, False


async def _replay(
    log: EventLog, project_id: str, last_event_id: int | None, build_snapshot: SnapshotBuilder
) -> tuple[int, list[Envelope]]:
    if last_event_id is None:
        start = await log.latest_generation_start(project_id)
        after = start - 1 if start is not None else 0
    else:
        after = last_event_id
        if after < await log.trimmed_through(project_id):
            return await _snapshot_then_rest(log, project_id, build_snapshot)
        if after > await log.highest_seq(project_id):
            # An id this project never gave: waiting for it would deliver nothing, silently.
            return await _snapshot_then_rest(log, project_id, build_snapshot)
    replay = await log.read_after(project_id, after)
    last_sent = replay[-1].seq if replay else after
    return last_sent, replay


async def _snapshot_then_rest(
    log: EventLog, project_id: str, build_snapshot: SnapshotBuilder
) -> tuple[int, list[Envelope]]:
    """The client's position is unknown here (trimmed away, or never given): send the whole
    current state, then go on."""
    newest = await log.read_after(project_id, await log.trimmed_through(project_id))
    snapshot = await build_snapshot(project_id)
    seq = newest[-1].seq if newest else 0
    envelope = Envelope.wrap(snapshot.model_copy(update={"seq": seq}))
    return seq, [envelope]
