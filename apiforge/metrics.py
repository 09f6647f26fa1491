"""The server's own metrics, in one Prometheus registry per app (docs/metrics.md).

Each app builds its own ``Metrics`` in its lifespan: two apps in one process (tests, the CLI's
embedded server beside another) must never add to each other's counters, which the
prometheus-client default registry would make them do. Every label takes values from a bounded
set (provider, model, event type, step, stage, route template), never a project id or raw path.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from apiforge.events.types import Event, Usage
from apiforge.sandbox.slots import SlotPool
from apiforge.store.status import VersionStatus

# Generations take seconds to minutes (fix rounds, fuzzing); stages from milliseconds up.
GENERATION_BUCKETS = (0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300, 600)
STAGE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300)
# The live path's goal is < 10 ms end to end: the buckets are fine below that, coarse above.
LAG_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5)
FLUSH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
# Up to the default APIFORGE_EVENT_BATCH_MAX (500) and past it.
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


class Metrics:
    def __init__(self, provider: str = "offline", model: str | None = None) -> None:
        self.registry = registry = CollectorRegistry()
        self.provider, self.model = provider, model or "default"
        self.started = Counter(
            "apiforge_generations_started",
            "Generations begun by this process",
            ["provider"],
            registry=registry,
        )
        self.finished = Counter(
            "apiforge_generations_finished",
            "Generations ended by this process, by final status (complete, failed, cancelled)",
            ["provider", "status"],
            registry=registry,
        )
        self.generation_seconds = Histogram(
            "apiforge_generation_duration_seconds",
            "From the version's creation to its final status",
            ["provider", "status"],
            buckets=GENERATION_BUCKETS,
            registry=registry,
        )
        self.step_seconds = Histogram(
            "apiforge_step_duration_seconds",
            "Each timed step of a generation, as its step:complete event reports it",
            ["step"],
            buckets=STAGE_BUCKETS,
            registry=registry,
        )
        self._declare_io(registry)

    def _declare_io(self, registry: CollectorRegistry) -> None:
        self.tokens = Counter(
            "apiforge_tokens",
            "Tokens as the provider reported them (direction: in = prompt, out = completion)",
            ["provider", "model", "direction"],
            registry=registry,
        )
        self.events = Counter(
            "apiforge_events", "Events appended to the event log", ["type"], registry=registry
        )
        self.validation = Counter(
            "apiforge_validation_stages",
            "Validation stage results (result: passed or failed)",
            ["stage", "result"],
            registry=registry,
        )
        self.stage_seconds = Histogram(
            "apiforge_validation_stage_duration_seconds",
            "Each validation stage's run time, as its validation:progress event reports it",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=registry,
        )
        self._declare_traffic(registry)
        self._declare_live_path(registry)

    def _declare_traffic(self, registry: CollectorRegistry) -> None:
        self.connections = Gauge(
            "apiforge_stream_connections",
            "Event streams open now (transport: sse or websocket)",
            ["transport"],
            registry=registry,
        )
        self.http = Counter(
            "apiforge_http_requests",
            "HTTP requests answered, by method, route template and status code",
            ["method", "route", "status"],
            registry=registry,
        )
        # Present at 0 from the start: a scrape before the first of each sees the series.
        for transport in ("sse", "websocket"):
            self.connections.labels(transport=transport)
        self.started.labels(provider=self.provider)
        for status in (VersionStatus.COMPLETE, VersionStatus.FAILED, VersionStatus.CANCELLED):
            self.finished.labels(provider=self.provider, status=status.value)

    def _declare_live_path(self, registry: CollectorRegistry) -> None:
        self.bus_lag = Histogram(
            "apiforge_bus_lag_seconds",
            "From an event's emit (memory bus) or XADD (redis bus) to its hand-over to this "
            "process's subscribers",
            ["bus"],
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self.flush_seconds = Histogram(
            "apiforge_event_flush_duration_seconds",
            "One batch of the event log written to the database (its transaction)",
            buckets=FLUSH_BUCKETS,
            registry=registry,
        )
        self.flush_batch = Histogram(
            "apiforge_event_flush_batch_size",
            "Events written to the database in one batch",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.previews = Gauge(
            "apiforge_previews_running", "Previews running now", registry=registry
        )
        self.slots_busy = Gauge(
            "apiforge_sandbox_slots_busy",
            "Sandbox slots in use now (pool: validation or preview)",
            ["pool"],
            registry=registry,
        )
        self.slots_total = Gauge(
            "apiforge_sandbox_slots",
            "Sandbox slots there are (pool: validation or preview)",
            ["pool"],
            registry=registry,
        )

    def bus_lag_observer(self, bus: str) -> Callable[[float], None]:
        """What a bus calls with each event's lag: the labelled child, looked up once."""
        return self.bus_lag.labels(bus=bus).observe

    def events_flushed(self, count: int, seconds: float) -> None:
        self.flush_batch.observe(count)
        self.flush_seconds.observe(seconds)

    def watch_previews(self, running: Callable[[], int]) -> None:
        """Read at each scrape (nothing to keep in step on the preview path)."""
        self.previews.set_function(running)

    def watch_slots(self, pool: str, slots: SlotPool) -> None:
        self.slots_busy.labels(pool=pool).set_function(lambda: slots.size - slots.available)
        self.slots_total.labels(pool=pool).set_function(lambda: slots.size)

    def generation_started(self) -> None:
        self.started.labels(provider=self.provider).inc()

    def generation_finished(self, status: VersionStatus, seconds: float, usage: Usage) -> None:
        self.finished.labels(provider=self.provider, status=status.value).inc()
        self.generation_seconds.labels(provider=self.provider, status=status.value).observe(
            max(seconds, 0.0)
        )
        labels = {"provider": self.provider, "model": self.model}
        self.tokens.labels(**labels, direction="in").inc(usage.prompt_tokens)
        self.tokens.labels(**labels, direction="out").inc(usage.completion_tokens)

    def step_completed(self, step: str, duration_ms: int) -> None:
        self.step_seconds.labels(step=step).observe(duration_ms / 1000)

    def event_appended(self, event: Event) -> None:
        """The event log's observer: every event appended, counted once, in this process."""
        self.events.labels(type=event.type).inc()
        if event.type == "validation:progress":
            result = "passed" if event.ok else "failed"
            self.validation.labels(stage=event.stage, result=result).inc()
            self.stage_seconds.labels(stage=event.stage).observe(event.duration_ms / 1000)

    def request_answered(self, method: str, route: str, status: int) -> None:
        self.http.labels(method=method, route=route, status=str(status)).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
