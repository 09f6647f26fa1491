// A version's activity items in the chat ("Plan ready", "Files written", "Validated: …",
// "Version saved"): from its events when this page saw them, otherwise from its REST record,
// so a reload shows the same list the live stream did.
import { formatSeconds } from "./dom.js";
import { STATUS, versionValidationText } from "./model.js";

// The messages the server's step:complete events carry (apiforge/generation: the assembler,
// steps/validating.py, steps/finishing.py); a stored version keeps no events to read them from.
const PLAN_READY = "Plan ready";
const FILES_WRITTEN = "Files written";
const VERSION_SAVED = "Version saved";
// Versions copied from another (a restore, a fork) plan, write and validate nothing: what they
// show is the source's report, carried over ("Validated as v1: …").
const COPIES = new Set(["restore", "fork"]);

export function activityItems(version, live) {
  // A snapshot (the log was trimmed) brings the state without the events that built the list.
  if (live && live.fromEvents && live.activities.length) return itemsFromEvents(live);
  return itemsFromRecord(version);
}

function itemsFromEvents(live) {
  const items = [];
  for (const activity of live.activities) {
    if (activity.step === "planning" && activity.durationMs) items.push(`Thought for ${formatSeconds(activity.durationMs)}`);
    if (activity.text) items.push(activity.text);
  }
  return items;
}

// What the record proves: stored stages mean the files were written and validated; a complete
// version also got past planning and writing and was saved. Fix rounds leave no trace in it.
function itemsFromRecord(version) {
  const stages = Array.isArray(version.validation) ? version.validation : [];
  const complete = version.status === STATUS.COMPLETE;
  if (COPIES.has(version.origin)) return stages.length ? [versionValidationText(version)] : [];
  if (!complete && !stages.length) return [];
  const items = [PLAN_READY, FILES_WRITTEN];
  if (stages.length) items.push(versionValidationText(version));
  if (complete) items.push(VERSION_SAVED);
  return items;
}
