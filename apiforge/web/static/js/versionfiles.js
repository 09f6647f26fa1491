// Files per version: a cache of the REST file maps and the per-version change lists derived
// from them (or from the live events while a version is being written).
import { api } from "./api.js";
import { STATUS, isActiveStatus } from "./model.js";

export class VersionFiles {
  constructor(projectId, onLoaded = () => {}) {
    this.projectId = projectId;
    this.onLoaded = onLoaded;
    this.cache = new Map();
    this.pending = new Map();
  }

  get(n) {
    return this.cache.get(n);
  }

  load(n, force = false) {
    if (!force && this.cache.has(n)) return Promise.resolve(this.cache.get(n));
    if (this.pending.has(n)) return this.pending.get(n);
    const promise = api.getFiles(this.projectId, n)
      .then((data) => data.files || {})
      .catch(() => null)
      .then((files) => {
        this.pending.delete(n);
        this.cache.set(n, files);
        this.onLoaded(n);
        return files;
      });
    this.pending.set(n, promise);
    return promise;
  }

  // The file map a version starts from: the newest complete version before it.
  baseOf(n, versions) {
    const earlier = [...versions.values()].filter((v) => v.number < n && v.status === STATUS.COMPLETE);
    if (!earlier.length) return {};
    const base = Math.max(...earlier.map((v) => v.number));
    if (!this.cache.has(base)) {
      this.load(base);
      return undefined;
    }
    return this.cache.get(base) || {};
  }

  changes(n, versions, model) {
    const live = model.versions.get(n);
    if (live && live.fromEvents && live.order.length && live.order.every((p) => live.files.get(p).operation)) {
      return live.order.map((path) => ({ path, operation: live.files.get(path).operation }));
    }
    const after = this.cache.get(n);
    if (after === undefined) {
      this.load(n);
      return null;
    }
    const before = this.baseOf(n, versions);
    if (before === undefined || after === null) return after === null ? [] : null;
    return diffOperations(before, after);
  }

  // What the tree and viewer show for version n, or null while still loading.
  entries(n, versions, model) {
    const live = model.versions.get(n);
    const stored = this.cache.get(n);
    const streaming = live && live.fromEvents && (isActiveStatus(live.status) || !stored);
    if (streaming) return this.liveEntries(n, live, versions);
    if (stored === undefined) {
      this.load(n);
      return null;
    }
    if (stored === null) return live && live.fromEvents ? this.liveEntries(n, live, versions) : [];
    const ops = new Map((this.changes(n, versions, model) || []).map((c) => [c.path, c.operation]));
    const entries = Object.entries(stored).map(([path, content]) => ({ path, content, operation: ops.get(path) || null, streaming: false }));
    for (const [path, op] of ops) {
      if (op === "deleted") entries.push({ path, content: "", operation: "deleted", streaming: false });
    }
    return entries;
  }

  liveEntries(n, live, versions) {
    const base = this.baseOf(n, versions);
    if (base === undefined) return null;
    const entries = new Map(Object.entries(base).map(([path, content]) => [path, { path, content, operation: null, streaming: false }]));
    for (const path of live.order) {
      const file = live.files.get(path);
      const operation = file.operation || (path in base ? "modified" : "created");
      entries.set(path, { path, content: file.content, operation, streaming: !file.done });
    }
    return [...entries.values()];
  }
}

export function diffOperations(before, after) {
  const out = [];
  for (const [path, content] of Object.entries(after)) {
    if (!(path in before)) out.push({ path, operation: "created" });
    else if (before[path] !== content) out.push({ path, operation: "modified" });
  }
  for (const path of Object.keys(before)) if (!(path in after)) out.push({ path, operation: "deleted" });
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
