// The generation model: folds stream events into the picture of each version. No DOM here.
import { validationProfile } from "./eta.js";
// The server writes this module from its one status enum (apiforge/store/status.py).
import { ACTIVE_STATUSES, STATUS } from "./statuses.js";

export { STATUS };
export const STEPS = ["planning", "generating", "validating", "complete"];
const ACTIVE = new Set(ACTIVE_STATUSES);

export function isActiveStatus(status) {
  return ACTIVE.has(status);
}

function freshSteps() {
  return Object.fromEntries(STEPS.map((step) => [step, { state: "pending", message: "", durationMs: null }]));
}

export function emptyLive(number) {
  return {
    number, status: STATUS.PENDING, step: null, steps: freshSteps(), subStep: "", progress: 0,
    startedAt: null, endedAt: null, files: new Map(), order: [], currentPath: null,
    text: "", activities: [], stages: [], validationOk: null, usage: null, summary: "",
    error: null, previewUrl: null, planned: null, fromEvents: false, codeBytes: 0,
    generatingSince: null, validationSince: null, stageMarks: {},
    // For a restore or fork: which version its carried-over report is of ("v1"), else "".
    validatedAs: "",
  };
}

// Builds the same shape from a REST version record, for versions the stream never replays.
export function liveFromVersion(version) {
  const live = emptyLive(version.number);
  live.status = version.status;
  live.summary = version.summary || "";
  live.usage = version.usage || null;
  live.error = version.error || null;
  live.stages = Array.isArray(version.validation) ? version.validation : [];
  live.validatedAs = validatedAsLabel(version.validated_as, version.project_id);
  if (live.validatedAs) live.validationOk = live.stages.every((stage) => stage.ok);
  live.startedAt = Date.parse(version.created_at) / 1000 || null;
  live.endedAt = version.completed_at ? Date.parse(version.completed_at) / 1000 : null;
  const stepByStatus = { [STATUS.PENDING]: "planning", [STATUS.GENERATING]: "generating", [STATUS.VALIDATING]: "validating" };
  const active = stepByStatus[version.status];
  if (active) {
    activateStep(live, active);
  } else if (version.status === STATUS.COMPLETE) {
    // null: no validation ran (a server without a validator, or a copy of such a version).
    finishAll(live, version.validation === null ? "skipped" : live.validationOk === false ? "failed" : "done");
  } else {
    // A failed stage in the stored validation means the version failed there.
    const failedAt = live.stages.some((stage) => !stage.ok) ? "validating" : "generating";
    activateStep(live, failedAt);
    live.steps[failedAt].state = version.status === STATUS.CANCELLED ? "cancelled" : "failed";
  }
  return live;
}

function activateStep(live, step) {
  const index = STEPS.indexOf(step);
  STEPS.forEach((name, i) => {
    const entry = live.steps[name];
    if (i < index && entry.state !== "failed") entry.state = "done";
    if (i === index) entry.state = "active";
    // A step that starts again (a fix round, a resumed run) makes the later ones wait again.
    if (i > index) entry.state = "pending";
  });
  live.step = step;
}

// validating: how that step ends. "skipped", not "done", when nothing was checked; "failed" for a
// restore's carried-over report of a version that failed it.
function finishAll(live, validating) {
  for (const step of STEPS) live.steps[step].state = "done";
  live.steps.validating.state = validating;
  live.step = "complete";
  live.progress = 100;
}

function stopActiveStep(live, state) {
  let step = live.step && live.step !== "complete" ? live.step : "generating";
  // Logs from before failed versions skipped the "complete" step still end with it.
  if (live.step === "complete" && live.validationOk === false) step = "validating";
  activateStep(live, step);
  live.steps[step].state = state;
}

// How many files the plan says this version writes: a first version's plan gives its file
// count ("Plan: 16 files."), a follow-up's the changed files only ("… — 10 files to write, 0 to
// delete."). Deletions are not counted: the progress line counts written files the same way.
const PLAN_PATTERNS = [/plan(?:ned)?:?\s+(\d+)\s+files?/i, /(\d+)\s+files?\s+to\s+write/i];

function notePlan(live, text) {
  for (const pattern of PLAN_PATTERNS) {
    const match = pattern.exec(text);
    if (match) {
      live.planned = Number(match[1]);
      return;
    }
  }
}

function fileEntry(live, path, operation) {
  let entry = live.files.get(path);
  if (!entry) {
    entry = { content: "", operation, done: false, gap: false };
    live.files.set(path, entry);
    live.order.push(path);
  }
  return entry;
}

function applyChunk(live, event) {
  const entry = fileEntry(live, event.path, "created");
  // offset makes chunks idempotent: a resent chunk overwrites, a gap waits for file:complete.
  if (event.offset > entry.content.length) {
    entry.gap = true;
    return;
  }
  entry.content = entry.content.slice(0, event.offset) + event.chunk;
  live.currentPath = event.path;
  live.codeBytes += event.chunk.length;
}

const HANDLERS = {
  "version:start": (live, event) => {
    Object.assign(live, emptyLive(live.number));
    live.status = STATUS.GENERATING;
    live.startedAt = event.ts;
    live.fromEvents = true;
    activateStep(live, "planning");
  },
  "step:start": (live, event) => {
    if (event.resumed) startAgain(live, event);
    activateStep(live, event.step);
    live.steps[event.step].message = event.message;
    live.subStep = event.message;
    live.progress = event.progress;
    if (event.step === "validating") live.status = STATUS.VALIDATING;
    if (event.step === "generating") {
      resetUnfinishedFiles(live);
      live.generatingSince = event.ts;
    }
  },
  "step:progress": (live, event) => {
    live.subStep = event.message;
    live.progress = event.progress;
    if (event.resumed) noteResume(live, event);
    else notePlan(live, event.message);
  },
  "step:complete": (live, event) => {
    const failed = event.step === "validating" && live.validationOk === false;
    live.steps[event.step].state = failed ? "failed" : "done";
    live.steps[event.step].durationMs = event.duration_ms;
    notePlan(live, event.message);
    // The validating step's item says what the stages found, so it never sits beside a
    // contradicting one ("Validation failed" next to "Validated: 17/17 tests passed").
    const text = event.step === "validating" && live.validationOk !== null ? validationText(live.stages, live.validationOk) : event.message;
    live.activities.push({ text, durationMs: event.duration_ms, ts: event.ts, step: event.step });
  },
  "message:chunk": (live, event) => {
    live.text += event.text;
    notePlan(live, live.text);
  },
  "file:generating": (live, event) => {
    const entry = fileEntry(live, event.path, event.operation);
    Object.assign(entry, { content: "", operation: event.operation, done: false, gap: false });
    live.currentPath = event.path;
    if (live.step !== "generating") activateStep(live, "generating");
  },
  "code:chunk": applyChunk,
  "file:complete": (live, event) => {
    const entry = fileEntry(live, event.path, event.operation);
    Object.assign(entry, { content: event.content, operation: event.operation, done: true, gap: false });
  },
  "validation:start": (live, event) => {
    // A validation that runs again (a fix round, a restart) reports all its stages afresh.
    live.status = STATUS.VALIDATING;
    Object.assign(live, { stages: [], validationOk: null, validationSince: event.ts, stageMarks: {} });
    if (live.step !== "validating") activateStep(live, "validating");
  },
  "validation:progress": (live, event) => {
    live.stages.push({ stage: event.stage, ok: event.ok, detail: event.detail, duration_ms: event.duration_ms });
    live.subStep = `Validating: ${event.stage} ${stageVerdict(event)}`;
    live.stageMarks[event.stage] = event.ts;
    if (typeof event.progress === "number" && event.progress > live.progress) live.progress = event.progress;
  },
  "validation:complete": (live, event) => {
    live.validationOk = event.ok;
    if (event.stages && event.stages.length) live.stages = event.stages;
    if (event.validated_as) carryValidation(live, event);
  },
  "preview:ready": (live, event) => { live.previewUrl = event.url; live.previewError = null; },
  // A later file broke the partial preview's boot; the last one that booted still serves.
  "preview:error": (live, event) => { live.previewError = event.reason; },
  // The version ended unvalidated and no earlier preview was left to serve again.
  "preview:stopped": (live, event) => { live.previewUrl = null; live.previewError = event.reason; },
  "version:complete": (live, event) => {
    live.status = event.status || STATUS.COMPLETE;
    Object.assign(live, { summary: event.summary, usage: event.usage, endedAt: event.ts });
    // A validation that ran, or a copy's carried-over report, opened its step; one still waiting
    // never ran (a copy of an unvalidated version, validation switched off).
    if (live.status !== STATUS.COMPLETE) {
      stopActiveStep(live, "failed");
      return;
    }
    const validating = live.steps.validating.state;
    finishAll(live, validating === "pending" ? "skipped" : validating === "failed" ? "failed" : "done");
  },
  cancelled: (live, event) => {
    Object.assign(live, { status: STATUS.CANCELLED, endedAt: event.ts, error: event.reason });
    stopActiveStep(live, "cancelled");
  },
  error: (live, event) => {
    Object.assign(live, { status: STATUS.FAILED, endedAt: event.ts, error: event.message });
    stopActiveStep(live, "failed");
  },
  snapshot: (live, event) => {
    const version = event.version || {};
    Object.assign(live, liveFromVersion({ ...version, number: live.number }));
    live.fromEvents = true;
    if (event.step && STEPS.includes(event.step) && isActiveStatus(live.status)) activateStep(live, event.step);
    for (const [path, content] of Object.entries(event.files || {})) {
      Object.assign(fileEntry(live, path, null), { content, done: true });
    }
  },
};

// A restore or fork ran no sandbox: its source's report holds for the same files, so the
// validating step shows as that report says, with the version it was made for.
function carryValidation(live, event) {
  live.validatedAs = validatedAsLabel(event.validated_as, event.project_id);
  live.steps.validating.state = event.ok ? "done" : "failed";
  const text = validationText(live.stages, event.ok, live.validatedAs);
  live.activities.push({ text, durationMs: null, ts: event.ts, step: "validating" });
}

// "v1", or "v1 of the original project" for a fork's report; "" when the report is its own.
export function validatedAsLabel(validatedAs, projectId) {
  if (!validatedAs) return "";
  const number = `v${validatedAs.version_number}`;
  return validatedAs.project_id === projectId ? number : `${number} of the original project`;
}

// The chat's line for a stored version's validation: its own, or the one it carries.
export function versionValidationText(version) {
  const stages = version.validation;
  const ok = stages.every((stage) => stage.ok);
  return validationText(stages, ok, validatedAsLabel(version.validated_as, version.project_id));
}

// A stage that passed without proving anything (the fuzz budget ran out first) says so.
function stageVerdict(event) {
  if (!event.ok) return "failed";
  return (event.detail || "").startsWith("inconclusive") ? "inconclusive" : "passed";
}

// One line for a validation run: what passed, or the stage it failed at (the failure's detail
// is the chat summary's to say).
// as: the version a carried-over report was made for ("v1"), else "".
export function validationText(stages, ok, as = "") {
  if (!ok) {
    const failed = stages.find((stage) => !stage.ok);
    const text = failed ? `Validation failed at ${failed.stage}` : "Validation failed";
    return as ? `${text} (as ${as})` : text;
  }
  const head = as ? `Validated as ${as}` : "Validated";
  const tests = stages.find((stage) => /\d+\/\d+/.test(stage.detail || ""));
  if (tests) return `${head}: ${tests.detail}`;
  return `${head}: ${stages.length} checks passed`;
}

function noteResume(live, event) {
  // Without a current file the progress line shows the resume message until the next file starts.
  live.currentPath = null;
  live.activities.push({ text: event.message, durationMs: null, ts: event.ts, step: event.step, resumed: true });
}

// The generation re-ran after a restart and answered differently: what it streamed so far goes.
function startAgain(live, event) {
  Object.assign(live, {
    text: "", activities: [], files: new Map(), order: [], currentPath: null, planned: null,
    codeBytes: 0, stages: [], validationOk: null,
  });
  for (const step of STEPS) live.steps[step] = { state: "pending", message: "", durationMs: null };
  noteResume(live, event);
}

function resetUnfinishedFiles(live) {
  // A resumed generating step streams its files again: drop what the interrupted run left.
  for (const [path, entry] of live.files) {
    if (!entry.done) {
      live.files.delete(path);
      live.order = live.order.filter((p) => p !== path);
    }
  }
}

export class GenerationModel {
  constructor() {
    this.versions = new Map();
    this.lastSeq = 0;
    // How the latest full validation seen in this session went: the base of the time estimate.
    this.validationProfile = null;
  }

  live(number) {
    if (!this.versions.has(number)) this.versions.set(number, emptyLive(number));
    return this.versions.get(number);
  }

  // Returns the touched version's state, or null when the event was a duplicate or unknown.
  apply(event) {
    if (event.seq && event.seq <= this.lastSeq) return null;
    if (event.seq) this.lastSeq = event.seq;
    const handler = HANDLERS[event.type];
    if (!handler || typeof event.version_number !== "number") return null;
    const live = this.live(event.version_number);
    if (event.type === "validation:complete") this.validationProfile = validationProfile(live, event) || this.validationProfile;
    handler(live, event);
    return live;
  }

  seedFromVersion(version) {
    const existing = this.versions.get(version.number);
    // Events are richer than the REST record, so only a terminal REST status overrides them.
    if (existing && existing.fromEvents && (isActiveStatus(version.status) || !isActiveStatus(existing.status))) {
      return existing;
    }
    const live = liveFromVersion(version);
    if (existing) {
      live.files = existing.files;
      live.order = existing.order;
      live.text = existing.text;
      live.activities = existing.activities;
      live.previewUrl = existing.previewUrl;
    }
    this.versions.set(version.number, live);
    return live;
  }
}
