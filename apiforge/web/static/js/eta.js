// Time left in a running generation, only from times measured in this session: how fast this
// run writes its planned files, and how long a whole validation took before. With nothing
// measured there is no estimate (a guess from the bar's percentage is not one).

// timing: {validates: true | false | null (not known yet), profile: {totalMs, marks} | null},
// where marks maps each stage to when it was reported, in ms after validation:start.
export function remainingMs(live, timing, nowS) {
  if (live.step === "validating") return validationLeft(live, timing.profile, nowS);
  if (live.step !== "generating") return null;
  const writing = generationLeft(live, nowS);
  if (writing === null || timing.validates === null) return null;
  if (!timing.validates) return writing;
  return timing.profile ? writing + timing.profile.totalMs : null;
}

function generationLeft(live, nowS) {
  // planned counts the files to write (model.js), so a deletion is not one done.
  const done = [...live.files.values()].filter((file) => file.done && file.operation !== "deleted").length;
  if (!live.planned || !done || !live.generatingSince) return null;
  const perFileS = (nowS - live.generatingSince) / done;
  return Math.max(0, live.planned - done) * perFileS * 1000;
}

function validationLeft(live, profile, nowS) {
  if (!profile || !live.validationSince) return null;
  // Count from the latest stage both runs reported: that corrects for this run being faster or
  // slower so far.
  const reported = live.stages.map((stage) => stage.stage).filter((stage) => stage in profile.marks && stage in live.stageMarks);
  const last = reported.at(-1);
  const sinceMs = last ? profile.marks[last] : 0;
  const fromS = last ? live.stageMarks[last] : live.validationSince;
  const left = profile.totalMs - sinceMs - (nowS - fromS) * 1000;
  return left > 0 ? left : null;
}

// The profile of a finished validation, or null when it stopped at a gate (syntax or a missing
// dependency) and so says nothing about how long a full one takes.
export function validationProfile(live, event) {
  if (!live.validationSince) return null;
  const stages = event.stages || [];
  const gated = stages.some((stage) => !stage.ok && (stage.stage === "syntax" || stage.stage === "dependencies"));
  if (!stages.length || gated) return null;
  const marks = {};
  for (const [stage, ts] of Object.entries(live.stageMarks)) marks[stage] = (ts - live.validationSince) * 1000;
  return { totalMs: (event.ts - live.validationSince) * 1000, marks };
}
