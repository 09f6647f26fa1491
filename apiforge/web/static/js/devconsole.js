// The developer console: a bottom drawer with the newest generation's timeline (timeline.js),
// the raw event list, a JSON inspector, the connection state and metrics. Ctrl/Cmd+Shift+D or
// ?debug=true; kept in localStorage.
import { formatCost, formatTokens } from "./cost.js";
import { clear, download, formatSeconds, h } from "./dom.js";
import { EventTimeline } from "./timeline.js";

const STORAGE_KEY = "apiforge.devConsole";
const MAX_ROWS = 2000;

export function devConsoleWanted() {
  const param = new URLSearchParams(location.search).get("debug");
  if (param === "true" || param === "1") return true;
  if (param === "false" || param === "0") return false;
  return localStorage.getItem(STORAGE_KEY) === "open";
}

export class DevConsole {
  constructor(pageStartedAt) {
    this.pageStartedAt = pageStartedAt;
    this.events = [];
    this.connection = [];
    this.firstEventAt = null;
    this.codeBytes = 0;
    this.state = "idle";
    this.lastEventId = "";
    this.selected = null;
    this.rows = h("ol", { class: "dev-timeline", id: "dev-events", "aria-label": "Events" });
    this.inspector = h("pre", { class: "dev-inspector", id: "dev-inspector", tabindex: "0", "aria-label": "Event JSON" }, "Select an event.");
    this.connectionLabel = h("span", { class: "dev-conn", id: "dev-connection" });
    this.metrics = h("dl", { class: "dev-metrics", id: "dev-metrics" });
    this.timeline = new EventTimeline();
    this.generation = null;
    this.renderQueued = false;
    this.drawer = h("section", { class: "dev-console", id: "dev-console", "aria-label": "Developer console", hidden: true },
      h("header", { class: "dev-head" }, h("h2", {}, "Developer console"), this.connectionLabel,
        h("button", { type: "button", class: "btn small", id: "dev-export", onclick: () => this.exportLog() }, "Export log"),
        h("button", { type: "button", class: "icon-btn", "aria-label": "Close developer console", onclick: () => this.toggle(false) }, "✕")),
      this.timeline.el,
      h("div", { class: "dev-body" }, this.rows, this.inspector, this.metrics));
    this.onKey = (event) => {
      if ((event.ctrlKey || event.metaKey) && event.shiftKey && event.key.toLowerCase() === "d") {
        event.preventDefault();
        this.toggle();
      }
    };
    document.addEventListener("keydown", this.onKey);
    this.timer = setInterval(() => { if (!this.drawer.hidden) this.renderMetrics(); }, 1000);
  }

  mount(parent) {
    parent.append(this.drawer);
    this.toggle(devConsoleWanted(), false);
  }

  destroy() {
    document.removeEventListener("keydown", this.onKey);
    clearInterval(this.timer);
    this.drawer.remove();
  }

  toggle(open = this.drawer.hidden, remember = true) {
    this.drawer.hidden = !open;
    document.body.classList.toggle("dev-open", open);
    if (remember) localStorage.setItem(STORAGE_KEY, open ? "open" : "closed");
    if (open) {
      this.renderConnection();
      this.renderTimeline();
      this.renderMetrics();
    }
  }

  recordEvent(event, lastEventId) {
    const receivedAt = Date.now();
    if (this.firstEventAt === null) this.firstEventAt = receivedAt;
    if (lastEventId) this.lastEventId = lastEventId;
    const entry = { receivedAt, event };
    this.events.push(entry);
    if (event.type === "code:chunk") this.codeBytes += event.chunk.length;
    if (this.events.length <= MAX_ROWS) this.rows.append(this.row(entry));
    this.renderConnection();
    this.scheduleTimeline();
  }

  // At most once a frame: a burst of events (a replay) draws the timeline once.
  scheduleTimeline() {
    if (this.drawer.hidden || this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.renderTimeline();
    });
  }

  renderTimeline() {
    this.generation = this.timeline.render(this.events.map((entry) => entry.event));
  }

  recordState(state) {
    this.state = state;
    this.connection.push({ at: Date.now(), state });
    this.renderConnection();
  }

  row(entry) {
    const { event } = entry;
    const time = new Date(entry.receivedAt).toISOString().slice(11, 23);
    const button = h("button", { type: "button", class: `dev-row t-${event.type.replace(":", "-")}`, onclick: () => this.inspect(entry, button) },
      h("span", { class: "dev-time" }, time), h("span", { class: "dev-seq" }, `#${event.seq ?? ""}`),
      h("span", { class: "dev-type" }, event.type), h("span", { class: "dev-brief" }, brief(event)));
    return h("li", {}, button);
  }

  inspect(entry, button) {
    if (this.selected) this.selected.removeAttribute("aria-current");
    this.selected = button;
    button.setAttribute("aria-current", "true");
    this.inspector.textContent = JSON.stringify(entry.event, null, 2);
  }

  renderConnection() {
    if (this.drawer.hidden) return;
    this.connectionLabel.textContent = `${this.state} · last event id ${this.lastEventId || "–"} · ${this.events.length} events`;
    this.connectionLabel.dataset.state = this.state;
  }

  renderMetrics() {
    const generation = this.generation;
    // Over the generation's own wall time, from its events' timestamps (timeline.js).
    const rate = generation && generation.rate !== null ? generation.rate.toFixed(1) : "–";
    const own = generation ? generation.events : [];
    const usage = own.find((e) => e.type === "version:complete")?.usage;
    const stages = own.filter((e) => e.type === "validation:progress");
    const metrics = [
      ["Time to first event", this.firstEventAt ? `${this.firstEventAt - this.pageStartedAt} ms` : "–"],
      [generation ? `Events / s (v${generation.version})` : "Events / s", rate],
      ["Code streamed", `${(this.codeBytes / 1024).toFixed(1)} KB`],
      ["Tokens", formatTokens(usage)],
      ["Cost", usage ? formatCost(own.find((e) => e.type === "version:complete")?.cost_usd) : "–"],
      ...stages.map((e) => [`Stage ${e.stage}`, `${formatSeconds(e.duration_ms)} (${e.duration_ms} ms) ${e.ok ? "✓" : "✗"}`]),
    ];
    clear(this.metrics, metrics.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
  }

  exportLog() {
    const payload = { exported_at: new Date().toISOString(), page: location.href, connection: this.connection,
      events: this.events.map((entry) => ({ received_at: new Date(entry.receivedAt).toISOString(), ...entry.event })) };
    download(`apiforge-events-${Date.now()}.json`, new Blob([JSON.stringify(payload, null, 2)], { type: "application/json" }));
  }
}

function brief(event) {
  if (event.type === "provider:call") {
    const tokens = `${event.prompt_tokens ?? "?"} → ${event.completion_tokens ?? "?"} tokens`;
    return `round ${event.round} · ${tokens} · ${event.duration_ms} ms · ${event.outcome}`;
  }
  if (event.path) return event.type === "code:chunk" ? `${event.path} +${event.chunk.length}` : event.path;
  return event.message || event.text || event.stage || event.summary || event.reason || event.url || "";
}
