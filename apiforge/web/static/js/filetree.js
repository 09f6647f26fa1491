// The file tree: folders from the paths, files coloured by operation, new rows animated in.
import { baseName, clear, h } from "./dom.js";

function buildTree(entries) {
  const root = { dirs: new Map(), files: [] };
  for (const entry of entries) {
    const parts = entry.path.split("/");
    let node = root;
    for (const part of parts.slice(0, -1)) {
      if (!node.dirs.has(part)) node.dirs.set(part, { dirs: new Map(), files: [] });
      node = node.dirs.get(part);
    }
    node.files.push(entry);
  }
  return root;
}

const OPERATION_LABEL = { created: "new", modified: "modified", deleted: "deleted" };

export class FileTree {
  constructor(container, onSelect) {
    this.container = container;
    this.onSelect = onSelect;
    this.known = new Set();
    this.selected = null;
  }

  showSkeleton() {
    clear(this.container, h("div", { class: "tree-skeleton", "aria-hidden": "true" },
      [70, 55, 80, 60, 45, 75].map((width) => h("div", { class: "skeleton skeleton-line", style: `width:${width}%` }))));
    this.container.setAttribute("aria-busy", "true");
  }

  // entries: [{path, operation, streaming}] — operation null for unchanged files.
  render(entries, selected) {
    this.selected = selected;
    this.container.removeAttribute("aria-busy");
    const tree = buildTree([...entries].sort((a, b) => a.path.localeCompare(b.path)));
    const list = h("ul", { class: "tree", role: "list" });
    this.renderNode(tree, list, 0);
    if (!entries.length) list.append(h("li", { class: "muted tree-empty" }, "No files yet"));
    clear(this.container, list);
    this.known = new Set(entries.map((entry) => entry.path));
  }

  renderNode(node, list, depth) {
    for (const [name, child] of [...node.dirs].sort((a, b) => a[0].localeCompare(b[0]))) {
      list.append(h("li", { class: "tree-dir", style: `--depth:${depth}` }, h("span", { "aria-hidden": "true" }, "▾ "), `${name}/`));
      this.renderNode(child, list, depth + 1);
    }
    for (const entry of node.files) list.append(this.fileRow(entry, depth));
  }

  fileRow(entry, depth) {
    const isNew = !this.known.has(entry.path);
    const op = entry.operation;
    const button = h("button", {
      type: "button", class: `tree-file${op ? ` op-${op}` : ""}${entry.streaming ? " streaming" : ""}`,
      "data-path": entry.path, "aria-current": entry.path === this.selected ? "true" : null,
      title: op ? `${entry.path} (${OPERATION_LABEL[op]})` : entry.path,
      onclick: () => this.onSelect(entry.path),
    }, h("span", { class: "tree-name" }, baseName(entry.path)),
    op ? h("span", { class: "op-dot", "aria-label": OPERATION_LABEL[op] }) : null);
    return h("li", { class: isNew ? "tree-row enter" : "tree-row", style: `--depth:${depth}` }, button);
  }
}
