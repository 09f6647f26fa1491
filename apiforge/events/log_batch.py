"""The statements of one event-log batch's transaction, run synchronously on the connection
:meth:`Database.transact` gives (SQLite: on its writer thread; PostgreSQL: on the loop)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Connection, delete, select, update

from apiforge.events.bus import Envelope
from apiforge.store.models import Project, StoredEvent


def of_existing(connection: Connection, batch: list[Envelope]) -> list[Envelope]:
    """The batch's events whose project still exists. FOR SHARE (PostgreSQL; SQLite ignores it
    and holds the write lock): a project deleted by another process waits for this batch,
    instead of the insert failing its foreign key after the check."""
    projects = {e.project_id for e in batch}
    existing = set(
        (
            connection.execute(
                select(Project.id).where(Project.id.in_(projects)).with_for_update(read=True)
            )
        )
        .scalars()
        .all()
    )
    return [e for e in batch if e.project_id in existing]


def number(connection: Connection, batch: list[Envelope]) -> list[Envelope]:
    """The batch numbered from its projects' counters, whose rows stay locked until the commit:
    another process's batch for a project waits, then numbers past this one. Projects are
    locked in one order (sorted ids), so two batches never wait on each other; a deleted
    project's events are dropped (no row to update)."""
    counts = Counter(e.project_id for e in batch)
    next_seq: dict[str, int] = {}
    for project_id in sorted(counts):
        top = (
            connection.execute(
                update(Project)
                .where(Project.id == project_id)
                .values(seq_reserved=Project.seq_reserved + counts[project_id])
                .returning(Project.seq_reserved)
            )
        ).scalar_one_or_none()
        if top is not None:
            next_seq[project_id] = top - counts[project_id] + 1
    numbered: list[Envelope] = []
    for envelope in batch:
        seq = next_seq.get(envelope.project_id)
        if seq is not None:
            next_seq[envelope.project_id] = seq + 1
            numbered.append(Envelope.wrap(envelope.event.model_copy(update={"seq": seq})))
    return numbered


def row(envelope: Envelope) -> dict[str, object]:
    event = envelope.event
    return {
        "project_id": envelope.project_id,
        "seq": envelope.seq,
        "version_number": event.version_number,
        "type": event.type,
        "data": envelope.json,
    }


def trim(connection: Connection, project_id: str, retention: int) -> None:
    """Delete the project's events older than its newest ``retention``."""
    cutoff = connection.execute(
        select(StoredEvent.seq)
        .where(StoredEvent.project_id == project_id)
        .order_by(StoredEvent.seq.desc())
        .offset(retention)
        .limit(1)
    ).scalar_one_or_none()
    if cutoff is None:
        return
    connection.execute(
        delete(StoredEvent).where(StoredEvent.project_id == project_id, StoredEvent.seq <= cutoff)
    )
    connection.execute(
        update(Project).where(Project.id == project_id).values(events_trimmed_through=cutoff)
    )
