// The code viewer: line numbers, syntax colours, and the streamed code typed in at a cursor.
import { clear, copyButton, h, prefersReducedMotion } from "./dom.js";
import { escapeHtml, highlight } from "./highlight.js";

const RENDER_INTERVAL_MS = 40;
// Typing catches up with the stream within roughly this many frames, whatever the backlog.
const CATCH_UP_FRAMES = 18;
const MIN_CHARS_PER_FRAME = 3;

export class CodeViewer {
  constructor(container) {
    this.path = null;
    this.target = "";
    this.shown = 0;
    this.done = true;
    this.frame = null;
    this.lastRender = 0;
    this.pathLabel = h("span", { class: "code-path", id: "code-path" }, "");
    this.statusLabel = h("span", { class: "code-status", id: "code-status" }, "");
    this.gutter = h("pre", { class: "gutter", "aria-hidden": "true" });
    this.code = h("code", { class: "hljs", id: "code-content" });
    this.lineMark = h("div", { class: "line-highlight", "aria-hidden": "true" });
    this.scroller = h("div", { class: "code-scroll", tabindex: "0", "aria-label": "File content" },
      h("div", { class: "code-grid" }, this.gutter,
        h("div", { class: "code-body" }, this.lineMark, h("pre", { class: "code-pre" }, this.code))));
    clear(container, h("div", { class: "code-toolbar" }, this.pathLabel, this.statusLabel,
      copyButton(() => this.target, "Copy file")), this.scroller);
  }

  showSkeleton() {
    this.path = null;
    this.code.removeAttribute("data-path");
    this.code.replaceChildren(h("span", { class: "code-skeleton", "aria-hidden": "true" },
      [60, 85, 40, 70, 90, 30, 65].map((width) => h("span", { class: "skeleton skeleton-line", style: `width:${width}%` }))));
    this.gutter.textContent = "";
    this.lineMark.hidden = true;
  }

  showEmpty(message) {
    this.path = null;
    this.target = "";
    this.code.removeAttribute("data-path");
    this.code.replaceChildren(h("span", { class: "muted" }, message));
    this.gutter.textContent = "";
    this.pathLabel.textContent = "";
    this.statusLabel.textContent = "";
    this.lineMark.hidden = true;
  }

  // Show `content` for `path`; while `streaming` new text is typed in rather than jumped to.
  show(path, content, { streaming = false, done = true, deleted = false } = {}) {
    const switched = path !== this.path;
    const changed = switched || content !== this.target;
    const animate = streaming && !prefersReducedMotion();
    if (switched) {
      this.path = path;
      this.shown = animate ? 0 : content.length;
      this.scroller.scrollTop = 0;
    }
    if (!content.startsWith(this.target.slice(0, this.shown))) this.shown = Math.min(this.shown, commonPrefix(this.target, content));
    this.target = content;
    this.done = done;
    this.deleted = deleted;
    if (!animate) this.shown = content.length;
    this.pathLabel.textContent = path;
    this.statusLabel.textContent = deleted ? "deleted" : done ? "" : "writing…";
    this.code.dataset.path = path;
    // Until the next frame renders `content`, the shown text is the old one: say so, so nobody
    // (a reader or a test) takes the previous file's finished render for this one.
    if (changed) this.code.dataset.complete = "false";
    if (streaming) this.code.dataset.typing = animate ? "animated" : "instant";
    this.schedule();
  }

  schedule() {
    if (this.frame === null) this.frame = requestAnimationFrame((t) => this.tick(t));
  }

  tick(time) {
    this.frame = null;
    const backlog = this.target.length - this.shown;
    if (backlog > 0) {
      this.shown += Math.max(MIN_CHARS_PER_FRAME, Math.ceil(backlog / CATCH_UP_FRAMES));
      this.shown = Math.min(this.shown, this.target.length);
    }
    const caughtUp = this.shown >= this.target.length;
    if (caughtUp || time - this.lastRender >= RENDER_INTERVAL_MS) {
      this.lastRender = time;
      this.render();
    }
    if (!caughtUp) this.schedule();
  }

  render() {
    const text = this.target.slice(0, this.shown);
    const typing = !this.done || this.shown < this.target.length;
    const lines = text.split("\n").length;
    this.gutter.textContent = Array.from({ length: lines }, (_, i) => i + 1).join("\n");
    const html = this.path ? highlight(text, this.path) : escapeHtml(text);
    this.code.innerHTML = typing ? `${html}<span class="cursor" aria-hidden="true"></span>` : html;
    this.code.dataset.complete = String(!typing);
    this.code.classList.toggle("deleted", Boolean(this.deleted));
    this.lineMark.hidden = !typing;
    this.lineMark.style.setProperty("--line", String(lines - 1));
    if (typing) this.keepCursorVisible(lines);
  }

  keepCursorVisible(lines) {
    const lineHeight = parseFloat(getComputedStyle(this.code).lineHeight) || 20;
    const cursorTop = (lines - 1) * lineHeight;
    const view = this.scroller;
    if (cursorTop > view.scrollTop + view.clientHeight - 2 * lineHeight) {
      view.scrollTop = cursorTop - view.clientHeight / 2;
    }
  }
}

function commonPrefix(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i += 1;
  return i;
}
