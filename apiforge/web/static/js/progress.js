// The progress tracker: Planning → Generating → Validating → Complete with sub-step and timing.
import { clear, formatSeconds, h } from "./dom.js";
import { STATUS, STEPS, isActiveStatus, validationText } from "./model.js";
import { remainingMs } from "./eta.js";

const LABELS = { planning: "Planning", generating: "Generating", validating: "Validating", complete: "Complete" };
const STATE_WORDS = { done: "done", active: "in progress", failed: "failed", cancelled: "cancelled", pending: "waiting", skipped: "not run" };

export function subStepText(live) {
  if (live.status === STATUS.CANCELLED) return `Stopped${live.error ? `: ${live.error}` : ""}`;
  // Only which step failed: what went wrong is said once, in the chat.
  if (live.status === STATUS.FAILED) return `Failed at ${LABELS[failedStep(live)].toLowerCase()}`;
  if (live.status === STATUS.COMPLETE) {
    const done = live.summary || "Done";
    if (live.validatedAs) return `${done} · ${validationText(live.stages, live.validationOk !== false, live.validatedAs)}`;
    return live.steps.validating.state === "skipped" ? `${done} · not validated` : done;
  }
  if (live.step === "generating" && live.currentPath) return writingText(live);
  return live.subStep || "Starting…";
}

// "(i/N files)" counts the files this version writes, as its plan does ("N files to write"):
// a deletion is not one of them and is named as what it is.
function writingText(live) {
  const path = live.currentPath;
  if (live.files.get(path)?.operation === "deleted") return `Deleting ${path}`;
  const written = live.order.filter((p) => live.files.get(p).operation !== "deleted");
  const total = Math.max(live.planned || 0, written.length);
  return `Generating ${path} (${written.indexOf(path) + 1}/${total} files)`;
}

function failedStep(live) {
  return STEPS.find((step) => live.steps[step].state === "failed") || "generating";
}

export class ProgressTracker {
  // timing(): {validates, profile}, what the estimate of the time left is based on (eta.js).
  constructor(container, timing = () => ({ validates: null, profile: null })) {
    this.container = container;
    this.timingSource = timing;
    this.live = null;
    this.steps = h("ol", { class: "steps" });
    this.status = h("p", { class: "progress-sub", id: "progress-status", role: "status", "aria-live": "polite" });
    this.timing = h("p", { class: "progress-timing", id: "progress-timing" });
    this.bar = h("div", { class: "progress-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-label": "Generation progress" }, h("span"));
    clear(container, h("div", { class: "progress-head" }, this.steps, this.timing), this.bar, this.status);
    container.hidden = true;
    this.timer = setInterval(() => this.renderTiming(), 500);
  }

  destroy() {
    clearInterval(this.timer);
  }

  render(live) {
    this.live = live;
    this.container.hidden = !live;
    if (!live) return;
    this.container.dataset.status = live.status;
    this.container.dataset.version = String(live.number);
    clear(this.steps, STEPS.map((step) => {
      const entry = live.steps[step];
      return h("li", { class: `step step-${entry.state}`, "data-step": step, "aria-current": entry.state === "active" ? "step" : null },
        h("span", { class: "step-dot", "aria-hidden": "true" }),
        h("span", { class: "step-label" }, LABELS[step]),
        entry.state === "skipped" ? h("span", { class: "step-note", "aria-hidden": "true" }, "not run") : null,
        h("span", { class: "visually-hidden" }, ` (${STATE_WORDS[entry.state]})`));
    }));
    const text = `v${live.number}: ${subStepText(live)}`;
    if (this.status.textContent !== text) this.status.textContent = text;
    const percent = live.status === STATUS.COMPLETE ? 100 : live.progress;
    this.bar.firstChild.style.width = `${percent}%`;
    this.bar.setAttribute("aria-valuenow", String(percent));
    this.renderTiming();
  }

  renderTiming() {
    const live = this.live;
    if (!live || !live.startedAt) {
      this.timing.textContent = "";
      return;
    }
    const end = live.endedAt && !isActiveStatus(live.status) ? live.endedAt : Date.now() / 1000;
    const elapsedMs = Math.max(0, (end - live.startedAt) * 1000);
    const active = isActiveStatus(live.status);
    let text = active ? `${formatSeconds(elapsedMs)} elapsed` : `Took ${elapsedMs < 1000 ? "under 1 s" : formatSeconds(elapsedMs)}`;
    const left = active ? remainingMs(live, this.timingSource(), end) : null;
    if (left !== null) text += ` · about ${formatSeconds(Math.max(1000, left))} left`;
    this.timing.textContent = text;
  }
}
