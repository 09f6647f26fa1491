// The developer console's timeline of one generation: its events on a time axis by type, so
// gaps and bursts show; its steps and provider calls as spans with their durations (calls.js
// also lists the calls with their tokens); its event rate. Every time
// comes from the events' own `ts` (server time, seconds). Arrival times would say nothing
// about the generation: after a reload its whole replay arrives within milliseconds (which is
// how the console once showed 1000.0 and 1567.6 events/s).
import { CallTable, callSpans, providerCalls } from "./calls.js";
import { clear, h } from "./dom.js";

const TERMINAL = new Set(["version:complete", "cancelled", "error"]);
// Time-axis cells per lane: a lane shows how many events fell in each, whatever their number.
const BINS = 200;
export const LANES = [
  { name: "chat", types: ["message:chunk"] },
  { name: "steps", types: ["step:start", "step:progress", "step:complete"] },
  { name: "files", types: ["file:generating", "file:complete"] },
  { name: "code", types: ["code:chunk"] },
  { name: "validation", types: ["validation:start", "validation:progress", "validation:complete"] },
  { name: "version", types: ["version:start", "version:complete", "cancelled", "error"] },
];

// The newest generation among `events` (in seq order): its version's events from its
// version:start through its terminal event (or up to now while it runs).
export function latestGeneration(events) {
  let start = -1;
  for (let i = events.length - 1; i >= 0 && start < 0; i--) if (events[i].type === "version:start") start = i;
  if (start < 0) return null;
  const version = events[start].version_number;
  const mine = events.slice(start).filter((e) => e.version_number === version && typeof e.ts === "number");
  const end = mine.findIndex((e) => TERMINAL.has(e.type));
  const own = end >= 0 ? mine.slice(0, end + 1) : mine;
  const first = own[0].ts;
  const last = own[own.length - 1].ts;
  return { version, events: own, ended: end >= 0, start: first, seconds: last - first, rate: eventRate(own.length, last - first) };
}

// Events over the generation's own wall time; null when it took no measurable time.
export function eventRate(count, seconds) {
  return count >= 2 && seconds >= 0.001 ? count / seconds : null;
}

// Each step:start opens a span, closed by its step:complete (a step started again, as in a fix
// round or a resumed run, opens another). Spans still open end at the generation's last event.
export function stepSpans(generation) {
  const spans = [];
  const open = new Map();
  const lastTs = generation.start + generation.seconds;
  for (const event of generation.events) {
    if (event.type === "step:start") {
      if (open.has(event.step)) open.get(event.step).end = event.ts;
      const span = { step: event.step, start: event.ts, end: null };
      spans.push(span);
      open.set(event.step, span);
    } else if (event.type === "step:complete" && open.has(event.step)) {
      open.get(event.step).end = event.ts;
      open.delete(event.step);
    }
  }
  for (const span of spans) {
    span.open = span.end === null;
    if (span.open) span.end = lastTs;
  }
  return spans;
}

function percent(value) {
  return `${(Math.min(1, Math.max(0, value)) * 100).toFixed(3)}%`;
}

function ms(seconds) {
  return `${Math.round(seconds * 1000)} ms`;
}

export class EventTimeline {
  constructor() {
    this.summary = h("p", { class: "dev-tl-summary", id: "dev-timeline-summary" }, "No generation yet.");
    this.lanes = h("div", { class: "dev-tl-lanes" });
    this.steps = h("table", { class: "dev-tl-steps", id: "dev-steps", "aria-label": "Step durations" });
    this.calls = new CallTable();
    this.el = h("section", { class: "dev-tl", id: "dev-timeline", "aria-label": "Event timeline" }, this.summary, this.lanes, this.steps, this.calls.el);
  }

  // Draws the newest generation of `events`; returns it (null when there is none).
  render(events) {
    const generation = latestGeneration(events);
    if (!generation) {
      clear(this.summary, "No generation yet.");
      clear(this.lanes);
      clear(this.steps);
      this.calls.render(null);
      return null;
    }
    const width = Math.max(generation.seconds, 0.001);
    const at = (ts) => (ts - generation.start) / width;
    const spans = stepSpans(generation);
    this.renderSummary(generation);
    const calls = callSpans(providerCalls(generation));
    clear(this.lanes, this.spanLane(spans, at, width), calls.length ? this.callLane(calls, at, width) : null, LANES.map((lane) => this.eventLane(lane, generation, at)), this.axis(generation));
    clear(this.steps, h("tr", {}, h("th", {}, "step"), h("th", {}, "starts at"), h("th", {}, "took")),
      spans.map((span) => h("tr", { class: "dev-step", dataset: { step: span.step, durationMs: String(Math.round((span.end - span.start) * 1000)) } },
        h("td", {}, span.step), h("td", {}, `+${ms(span.start - generation.start)}`), h("td", {}, span.open ? `${ms(span.end - span.start)}…` : ms(span.end - span.start)))));
    this.calls.render(generation);
    return generation;
  }

  renderSummary(generation) {
    const { version, events, seconds, rate, ended } = generation;
    const rateText = rate === null ? "–" : rate.toFixed(1);
    clear(this.summary, `v${version} · ${ms(seconds)}${ended ? "" : " so far"} · ${events.length} events · ${rateText} events/s`);
    Object.assign(this.summary.dataset, { version: String(version), events: String(events.length), seconds: String(seconds), rate: rate === null ? "" : rate.toFixed(1), ended: String(ended) });
  }

  spanLane(spans, at, width) {
    const track = h("div", { class: "dev-tl-track" }, spans.map((span) => h("div", {
      class: `dev-tl-span s-${span.step}${span.open ? " open" : ""}`,
      style: `left: ${percent(at(span.start))}; width: ${percent((span.end - span.start) / width)}`,
      title: `${span.step}: ${ms(span.end - span.start)}`,
      dataset: { step: span.step },
    }, span.step)));
    return h("div", { class: "dev-tl-lane", dataset: { lane: "spans" } }, h("span", { class: "dev-tl-label" }, "step spans"), track);
  }

  // Each provider call from its request to its stream's end, a tick where its first text came.
  callLane(calls, at, width) {
    const track = h("div", { class: "dev-tl-track" }, calls.map(({ call, start, end, firstToken }) => h("div", {
      class: `dev-tl-call o-${call.outcome}`,
      style: `left: ${percent(at(start))}; width: ${percent((end - start) / width)}`,
      title: `round ${call.round}, call ${call.call + 1}: ${call.duration_ms} ms, first text after ${call.first_token_ms ?? "–"} ms, ${call.outcome}`,
      dataset: { round: String(call.round), call: String(call.call) },
    }, firstToken === null ? null : h("i", { class: "dev-tl-first", style: `left: ${percent((firstToken - start) / Math.max(end - start, 0.001))}` }), `r${call.round}`)));
    return h("div", { class: "dev-tl-lane", dataset: { lane: "calls", events: String(calls.length) } }, h("span", { class: "dev-tl-label" }, `provider calls (${calls.length})`), track);
  }

  eventLane(lane, generation, at) {
    const counts = new Array(BINS).fill(0);
    for (const event of generation.events) {
      if (lane.types.includes(event.type)) counts[Math.min(BINS - 1, Math.floor(at(event.ts) * BINS))] += 1;
    }
    const most = Math.max(1, ...counts);
    const cells = [];
    counts.forEach((count, bin) => {
      if (!count) return;
      const height = 30 + (70 * count) / most;
      cells.push(h("i", { class: "dev-tl-mark", style: `left: ${percent(bin / BINS)}; height: ${height.toFixed(0)}%`, title: `${count} ${lane.name} event${count === 1 ? "" : "s"}` }));
    });
    const total = counts.reduce((sum, count) => sum + count, 0);
    return h("div", { class: "dev-tl-lane", dataset: { lane: lane.name, events: String(total) } },
      h("span", { class: "dev-tl-label" }, `${lane.name} (${total})`), h("div", { class: "dev-tl-track" }, cells));
  }

  axis(generation) {
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((share) => h("span", { style: `left: ${percent(share)}` }, ms(share * generation.seconds)));
    return h("div", { class: "dev-tl-lane dev-tl-axis" }, h("span", { class: "dev-tl-label" }), h("div", { class: "dev-tl-track" }, ticks));
  }
}
