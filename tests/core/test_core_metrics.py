"""GET /metrics on a real server: the counters move by exactly what a generation did, the
stream gauges come back when streams close, and password mode lets only admins read them.

The server validates in the sandbox (fuzzing off, ~1 s a generation here) so that the
validation, sandbox slot and preview metrics are exercised by a real generation too."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from apiforge.metrics import Metrics
from tests.core.accounts_server import AccountsServer
from tests.server_process import NO_LIMITS, ServerProcess
from tests.sse_reader import TERMINAL, Frame, frames

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
PROMPT = "a bookstore API with books (title, price) and authors (name)"


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(url: str, headers: dict[str, str] | None = None) -> Samples:
    response = httpx.get(f"{url}/metrics", headers=headers or {}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def scrape_until(url: str, name: str, expected: float, **labels: str) -> Samples:
    """A stream's end reaches the server a moment after the client closes it, and the log's
    last batch is written within a flush window after the last event: scrape until the
    metric shows it (bounded by the test timeout), then the caller asserts on that scrape."""
    while value(samples := scrape(url), name, **labels) != expected:
        await asyncio.sleep(0.02)
    return samples


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of this module's own: no other test's generations move its counters."""
    sandbox = {
        "APIFORGE_VALIDATOR": "sandbox",
        "APIFORGE_SANDBOX_FUZZ_S": "0",
        "APIFORGE_SANDBOX_FIRST_UID": "64500",
    }
    process = ServerProcess(tmp_path_factory.mktemp("metrics-server"), env=NO_LIMITS | sandbox)
    process.start()
    yield process
    process.stop()


async def _generate(server: ServerProcess) -> tuple[str, list[Frame], Samples, Samples]:
    """One offline generation read over SSE to its preview (which follows the version's end);
    also scrapes taken as the stream opened and as validation reported its first stage (the
    later stages take a second more: the slot is held)."""
    created = httpx.post(f"{server.url}/api/projects", json={"prompt": PROMPT}, timeout=10)
    assert created.status_code == 201, created.text
    pid = str(created.json()["project"]["id"])
    collected: list[Frame] = []
    during: Samples = {}
    validating: Samples = {}
    async for frame in frames(server.url, pid):
        if not collected:
            during = scrape(server.url)
        if frame.event == "validation:progress" and not validating:
            validating = scrape(server.url)
        collected.append(frame)
        # The validated preview's (a partial one may start while the code streams).
        validated = frame.event == "preview:ready" and not frame.data["partial"]
        if validated or frame.event in TERMINAL - {"version:complete"}:
            break
    return pid, collected, during, validating


async def test_a_generation_moves_the_counters_by_what_it_did(server: ServerProcess) -> None:
    before = scrape(server.url)
    sse = {"transport": "sse"}
    open_before = value(before, "apiforge_stream_connections", **sse)
    pid, events, during, validating = await _generate(server)
    assert [f.event for f in events[-2:]] == ["version:complete", "preview:ready"]
    assert value(during, "apiforge_stream_connections", **sse) == open_before + 1
    await scrape_until(server.url, "apiforge_stream_connections", open_before, **sse)
    # Every event is written by now or within one flush window.
    batch_sum = "apiforge_event_flush_batch_size_sum"
    after = await scrape_until(server.url, batch_sum, value(before, batch_sum) + len(events))
    _check_generation_counts(before, after, events)
    _check_event_counts(before, after, events)
    _check_http_counts(before, after, pid)
    _check_live_path(before, after, events)
    _check_sandbox(before, after, events)
    assert value(validating, "apiforge_sandbox_slots_busy", pool="validation") == 1


def _check_generation_counts(before: Samples, after: Samples, events: list[Frame]) -> None:
    offline = {"provider": "offline"}
    assert moved(before, after, "apiforge_generations_started_total", **offline) == 1
    for status, expected in (("complete", 1), ("failed", 0), ("cancelled", 0)):
        ended = moved(
            before, after, "apiforge_generations_finished_total", **offline, status=status
        )
        assert ended == expected, status
    duration = "apiforge_generation_duration_seconds_count"
    assert moved(before, after, duration, **offline, status="complete") == 1
    steps = Counter(f.data["step"] for f in events if f.event == "step:complete")
    step_count = "apiforge_step_duration_seconds_count"
    assert moved(before, after, step_count, step="generating") == steps["generating"] == 1
    usage = next(f.data["usage"] for f in events if f.event == "version:complete")
    tokens = {"provider": "offline", "model": "default"}
    tokens_in = moved(before, after, "apiforge_tokens_total", **tokens, direction="in")
    tokens_out = moved(before, after, "apiforge_tokens_total", **tokens, direction="out")
    assert (tokens_in, tokens_out) == (usage["prompt_tokens"], usage["completion_tokens"])


def _check_live_path(before: Samples, after: Samples, events: list[Frame]) -> None:
    """The memory bus hands every event over once (to whoever listens); the log writes each
    once, in batches, each batch timed."""
    lag = moved(before, after, "apiforge_bus_lag_seconds_count", bus="memory")
    assert lag == len(events)
    assert moved(before, after, "apiforge_bus_lag_seconds_sum", bus="memory") > 0
    batches = moved(before, after, "apiforge_event_flush_batch_size_count")
    assert 1 <= batches <= len(events)
    assert moved(before, after, "apiforge_event_flush_duration_seconds_count") == batches
    assert moved(before, after, "apiforge_event_flush_duration_seconds_sum") > 0


def _check_sandbox(before: Samples, after: Samples, events: list[Frame]) -> None:
    """Validation held a slot and gave it back; the preview it started holds one of its own."""
    stages = [f.data["stage"] for f in events if f.event == "validation:progress"]
    assert "smoke" in stages
    validation, preview = {"pool": "validation"}, {"pool": "preview"}
    assert value(after, "apiforge_sandbox_slots", **validation) == 2  # APIFORGE_SANDBOX_SLOTS
    assert value(after, "apiforge_sandbox_slots_busy", **validation) == 0
    assert value(after, "apiforge_sandbox_slots", **preview) == 4  # APIFORGE_PREVIEW_MAX
    assert moved(before, after, "apiforge_sandbox_slots_busy", **preview) == 1
    assert moved(before, after, "apiforge_previews_running") == 1


def _check_event_counts(before: Samples, after: Samples, events: list[Frame]) -> None:
    """Every event the stream delivered was counted once, by type, and nothing else."""
    for event_type, count in Counter(frame.event for frame in events).items():
        assert moved(before, after, "apiforge_events_total", type=event_type) == count, event_type

    def total(samples: Samples) -> float:
        return sum(v for (name, _), v in samples.items() if name == "apiforge_events_total")

    assert total(after) - total(before) == len(events)


def _check_http_counts(before: Samples, after: Samples, pid: str) -> None:
    created = {"method": "POST", "route": "/api/projects", "status": "201"}
    assert moved(before, after, "apiforge_http_requests_total", **created) == 1
    streamed = {"method": "GET", "route": "/api/stream/{project_id}", "status": "200"}
    assert moved(before, after, "apiforge_http_requests_total", **streamed) == 1
    # Route templates, never raw paths: no label anywhere holds the project's id.
    assert not any(pid in label for _, labels in after for _, label in labels)


async def test_unmatched_paths_share_one_label(server: ServerProcess) -> None:
    before = scrape(server.url)
    for guess in ("/wp-admin", "/api/nothing-here", "/.env"):
        assert httpx.get(f"{server.url}{guess}", timeout=10).status_code == 404
    after = scrape(server.url)
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert moved(before, after, "apiforge_http_requests_total", **unmatched) == 3


async def test_websocket_connections_are_counted_while_open(server: ServerProcess) -> None:
    created = httpx.post(f"{server.url}/api/projects", json={"prompt": PROMPT}, timeout=10)
    pid = str(created.json()["project"]["id"])
    ws = {"transport": "websocket"}
    before = value(scrape(server.url), "apiforge_stream_connections", **ws)
    url = server.url.replace("http://", "ws://") + f"/api/ws/{pid}"
    # Unbounded queue: the replay left unread would pause reading, so the close reply went
    # unseen and leaving the block waited out websockets' 10 s close timeout.
    async with connect(url, max_queue=None) as socket:
        # A first frame means the server runs the handler (and counts it).
        assert json.loads(await socket.recv())["type"]
        assert value(scrape(server.url), "apiforge_stream_connections", **ws) == before + 1
    await scrape_until(server.url, "apiforge_stream_connections", before, **ws)


def test_password_mode_lets_only_admins_read_the_metrics(tmp_path: Path) -> None:
    server = AccountsServer(tmp_path)
    server.start()
    try:
        assert httpx.get(f"{server.url}/metrics", timeout=10).status_code == 401
        member = httpx.get(f"{server.url}/metrics", headers=server.headers_of("alice"), timeout=10)
        assert member.status_code == 403 and member.json()["error"]["code"] == "admin_only"
        token = {"Authorization": f"Bearer {server.root_token()}"}
        started = ("apiforge_generations_started_total", frozenset({("provider", "offline")}))
        assert scrape(server.url, token)[started] == 0
        assert started in scrape(server.url, server.headers_of("admin-bea"))  # a session
    finally:
        server.stop()


def test_each_metrics_owns_its_registry() -> None:
    """Two apps in one process count apart, and nothing lands in the global registry."""
    first, second = Metrics(), Metrics()
    first.generation_started()
    assert (
        value(
            parse(first.exposition().decode()),
            "apiforge_generations_started_total",
            provider="offline",
        )
        == 1
    )
    assert (
        value(
            parse(second.exposition().decode()),
            "apiforge_generations_started_total",
            provider="offline",
        )
        == 0
    )
    assert b"apiforge_" not in generate_latest(REGISTRY)
