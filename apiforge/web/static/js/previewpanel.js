// The Try it pane for the selected version: its preview's state from the server, a "Start
// preview" button when none runs, and the route list (TryItPanel) once it serves.
import { api } from "./api.js";
import { clear, h } from "./dom.js";
import { TryItPanel } from "./tryit.js";

const POLL_MS = 1000;
const REFRESHING_EVENTS = new Set(["preview:ready", "preview:stopped", "version:complete", "cancelled", "error"]);

export class PreviewPanel {
  constructor(container, projectId) {
    this.container = container;
    this.projectId = projectId;
    this.version = null;
    this.visible = false;
    this.tryit = new TryItPanel(container, () => this.refresh());
    // Each refresh or start takes a new token; answers for an older one are dropped, so a slow
    // reply about the previously selected version never paints over the current one.
    this.token = 0;
    this.timer = null;
    // A partial preview restarted with later files: read its routes again, not from cache.
    this.fresh = false;
  }

  show(version) {
    this.visible = true;
    this.version = version;
    this.refresh();
  }

  hide() {
    this.visible = false;
    this.token += 1;
    this.stopTimer();
  }

  select(version) {
    if (version === this.version) return;
    this.version = version;
    if (this.visible) this.refresh();
  }

  // Another tab may have started a preview, or a generation ended: read the state again.
  onEvent(event) {
    if (!this.visible) return;
    if (event.type === "preview:error" && event.version_number === this.version) this.tryit.showBootProblem(event.reason);
    if (event.type === "preview:ready") this.fresh = true;
    if (REFRESHING_EVENTS.has(event.type)) this.refresh();
  }

  async refresh() {
    const token = this.begin();
    const n = this.version;
    if (n === null) {
      clear(this.container, h("p", { class: "muted" }, "No version yet."));
      return;
    }
    // The route list of this same version stays up (with any response shown) while checking.
    const listed = this.tryit.version === n && this.container.querySelector(".tryit");
    if (!listed) clear(this.container, h("p", { class: "muted" }, `Checking the preview of version ${n}…`));
    let state;
    try {
      state = await api.previewState(this.projectId, n);
    } catch (error) {
      if (token === this.token) this.renderProblem(n, `Could not read the preview's state: ${error.message}`);
      return;
    }
    if (token === this.token) this.render(state, token);
  }

  begin() {
    this.stopTimer();
    this.token += 1;
    return this.token;
  }

  stopTimer() {
    clearTimeout(this.timer);
    clearInterval(this.timer);
    this.timer = null;
  }

  render(state, token) {
    if (state.state === "running") {
      const fresh = this.fresh || state.partial;
      this.fresh = false;
      this.tryit.load(state.url, state.version_number, () => token === this.token, { partial: state.partial, fresh });
    } else if (state.state === "starting") {
      this.renderBooting(state.version_number, "Another tab is starting it");
      this.timer = setTimeout(() => this.refresh(), POLL_MS);
    } else if (state.state === "stopped") {
      this.renderStart(state, null);
    } else {
      this.renderProblem(state.version_number, state.reason || "This version cannot be previewed.");
    }
  }

  renderStart(state, failure) {
    const n = state.version_number;
    const other = state.serving_version !== null && state.serving_version !== n ? state.serving_version : null;
    clear(this.container, h("div", { class: "preview-start", id: "preview-start", "data-version": String(n) },
      h("p", { class: "preview-state", id: "preview-state" }, `The preview of version ${n} is not running.`),
      h("p", { class: "muted" }, other !== null
        ? `The project's preview serves version ${other}; starting version ${n} replaces it.`
        : `Starting it runs version ${n}'s app in the sandbox, so you can send it requests.`),
      h("button", { type: "button", class: "btn primary", id: "tryit-start", onclick: () => this.start(state) },
        failure ? "Try again" : "Start preview"),
      failure ? h("p", { class: "note note-failed", id: "preview-error", role: "alert" }, `The preview did not start: ${failure}`) : null));
  }

  renderBooting(n, why) {
    const started = Date.now();
    const elapsed = h("span", { class: "muted" }, "");
    clear(this.container, h("div", { class: "preview-start", id: "preview-start", "data-version": String(n) },
      h("p", { class: "preview-state preview-booting", id: "preview-state", role: "status" },
        h("span", { class: "spinner", "aria-hidden": "true" }), `Starting the preview of version ${n}… `, elapsed),
      h("p", { class: "muted" }, `${why}: the app boots in the sandbox, usually within a few seconds.`)));
    return () => { elapsed.textContent = `${Math.round((Date.now() - started) / 1000)} s`; };
  }

  renderProblem(n, message) {
    clear(this.container, h("div", { class: "preview-start", id: "preview-start", "data-version": String(n) },
      h("p", { class: "note note-failed", id: "preview-state" }, message)));
  }

  async start(state) {
    const token = this.begin();
    const n = state.version_number;
    const tick = this.renderBooting(n, "Started at your request");
    this.timer = setInterval(tick, POLL_MS);
    let started;
    try {
      started = await api.startPreview(this.projectId, n);
    } catch (error) {
      if (token !== this.token) return;
      this.stopTimer();
      if (error.status === 409) this.renderProblem(n, error.message);
      else this.renderStart(state, error.message);
      return;
    }
    if (token !== this.token) return;
    this.stopTimer();
    this.render(started, token);
  }
}
