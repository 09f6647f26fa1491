// The diff view: per-file unified diffs between two versions plus the changed API routes.
import { clear, h } from "./dom.js";

// Line diff by longest common subsequence; enough for generated files of a few hundred lines.
export function lineDiff(before, after) {
  const a = before ? before.split("\n") : [];
  const b = after ? after.split("\n") : [];
  const table = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) { out.push(` ${a[i]}`); i += 1; j += 1; }
    else if (j < b.length && (i >= a.length || table[i][j + 1] >= table[i + 1][j])) { out.push(`+${b[j]}`); j += 1; }
    else { out.push(`-${a[i]}`); i += 1; }
  }
  return out.join("\n");
}

export function diffFromFiles(beforeFiles, afterFiles) {
  const paths = [...new Set([...Object.keys(beforeFiles), ...Object.keys(afterFiles)])].sort();
  return paths.filter((path) => beforeFiles[path] !== afterFiles[path]).map((path) => ({
    path,
    operation: !(path in beforeFiles) ? "created" : !(path in afterFiles) ? "deleted" : "modified",
    diff: lineDiff(beforeFiles[path] || "", afterFiles[path] || ""),
  }));
}

export function renderDiff(container, { from, to, files: raw, routes }) {
  // The server's field is `unified_diff`; the in-page fallback produces `diff`.
  const files = raw.map((file) => ({ ...file, diff: file.diff ?? file.unified_diff ?? "" }));
  const counts = files.map((file) => countLines(file.diff));
  const added = counts.reduce((sum, c) => sum + c.added, 0);
  const removed = counts.reduce((sum, c) => sum + c.removed, 0);
  clear(container, h("div", { class: "diff-view", id: "diff-view", "data-from": String(from), "data-to": String(to) },
    h("h2", { class: "diff-title" }, `Changes from v${from} to v${to}`,
      h("span", { class: "diff-stats" }, h("span", { class: "add" }, ` +${added}`), h("span", { class: "del" }, ` −${removed}`),
        ` in ${files.length} file${files.length === 1 ? "" : "s"}`)),
    routes ? routeSummary(routes) : null,
    files.length ? files.map((file, i) => fileDiff(file, counts[i])) : h("p", { class: "muted" }, "No file changes.")));
}

function countLines(diff) {
  let added = 0;
  let removed = 0;
  for (const line of (diff || "").split("\n")) {
    if (line.startsWith("+") && !line.startsWith("+++")) added += 1;
    else if (line.startsWith("-") && !line.startsWith("---")) removed += 1;
  }
  return { added, removed };
}

function routeSummary(routes) {
  const groups = [["added", "Added routes"], ["removed", "Removed routes"], ["changed", "Changed routes"]];
  const rows = groups.filter(([key]) => (routes[key] || []).length);
  if (!rows.length) return h("section", { class: "routes-diff" }, h("h3", {}, "API routes"), h("p", { class: "muted" }, "No route changes."));
  return h("section", { class: "routes-diff", id: "routes-diff" }, h("h3", {}, "API routes"),
    rows.map(([key, label]) => h("div", { class: `routes routes-${key}` }, h("h4", {}, label),
      h("ul", {}, routes[key].map((route) => h("li", {}, h("code", {}, typeof route === "string" ? route : `${route.method || ""} ${route.path || ""}`.trim())))))));
}

function fileDiff(file, count) {
  const lines = (file.diff || "").replace(/\n$/, "").split("\n").filter((line) => !line.startsWith("+++") && !line.startsWith("---"));
  return h("details", { class: `diff-file op-${file.operation}`, open: true, "data-path": file.path },
    h("summary", {}, h("span", { class: "diff-path" }, file.path), h("span", { class: `op-badge op-${file.operation}` }, file.operation),
      h("span", { class: "diff-stats" }, h("span", { class: "add" }, `+${count.added}`), " ", h("span", { class: "del" }, `−${count.removed}`))),
    h("pre", { class: "diff-body" }, lines.map((line) => h("span", {
      class: line.startsWith("+") ? "line-add" : line.startsWith("-") ? "line-del" : line.startsWith("@@") ? "line-hunk" : "line-ctx",
    }, `${line}\n`))));
}
