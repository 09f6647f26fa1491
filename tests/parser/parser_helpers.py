"""Shared helpers for the parser tests: feed text in chunks, merge streamed text events."""

from __future__ import annotations

from collections.abc import Iterable

from hypothesis import strategies as st

from apiforge.generation.reply_format.parse_events import FileClosed, FileText, ParseEvent, Prose
from apiforge.generation.reply_format.parser import StreamParser


def parse_chunks(chunks: Iterable[str], **options: int) -> list[ParseEvent]:
    parser = StreamParser(**options)
    events: list[ParseEvent] = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    events.extend(parser.finish())
    return events


def parse_text(text: str, **options: int) -> list[ParseEvent]:
    return merge_text_events(parse_chunks([text], **options))


def merge_text_events(events: list[ParseEvent]) -> list[ParseEvent]:
    """Adjacent Prose, and adjacent FileText of one path, become one event."""
    merged: list[ParseEvent] = []
    for event in events:
        last = merged[-1] if merged else None
        if isinstance(event, Prose) and isinstance(last, Prose):
            merged[-1] = Prose(last.text + event.text)
        elif isinstance(event, FileText) and isinstance(last, FileText) and last.path == event.path:
            merged[-1] = FileText(event.path, last.text + event.text)
        else:
            merged.append(event)
    return merged


def split_at(text: str, cuts: Iterable[int]) -> list[str]:
    points = sorted({cut % (len(text) + 1) for cut in cuts} | {0, len(text)})
    return [text[a:b] for a, b in zip(points, points[1:], strict=False)]


# Where a property test cuts a reply into chunks (past the end: no cut).
CUTS = st.lists(st.integers(min_value=0, max_value=10_000), max_size=40)


def closed(events: list[ParseEvent]) -> dict[str, str]:
    """The files the events committed, by path."""
    return {e.path: e.body for e in events if isinstance(e, FileClosed)}
