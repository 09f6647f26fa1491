// The chat input: auto-resizing textarea, Enter to send, and Stop while a version generates.
import { clear, h } from "./dom.js";
import { autoResize } from "./input.js";
import { providerLabel } from "./provider.js";
import { PromptCount } from "./promptcount.js";

export class Composer {
  constructor(container, { onSend, onStop }) {
    this.area = h("textarea", {
      id: "chat-input", class: "prompt-input", rows: "1", "aria-label": "Ask for a change",
      placeholder: "Ask for a change… (Enter sends, Shift+Enter for a new line)",
    });
    this.status = h("span", { class: "composer-status", id: "composer-status", role: "status" });
    this.stop = h("button", { type: "button", class: "btn danger", id: "stop-button", hidden: true, onclick: onStop }, "■ Stop");
    this.send = h("button", { type: "submit", class: "btn primary", id: "send-button" }, "Send");
    this.count = new PromptCount(this.area);
    this.form = h("form", { class: "composer", "aria-label": "Follow-up prompt" }, this.area,
      h("div", { class: "composer-row" }, this.status, this.count.el, this.stop, this.send));
    clear(container, this.form, providerLabel());
    autoResize(this.area);
    this.generating = false;
    this.notice = "";
    this.area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = this.area.value.trim();
      if (this.generating) return;
      const problem = this.count.problem();
      if (problem) {
        this.setNotice(problem);
        this.promptProblem = problem;
        this.area.focus();
        return;
      }
      this.send.disabled = true;
      const ok = await onSend(text);
      if (ok) {
        this.area.value = "";
        autoResize(this.area);
        this.count.render();
        if (this.notice === this.promptProblem) this.setNotice("");
      }
      this.send.disabled = this.generating;
    });
  }

  // Called on every render: a notice stays until the next one or until a generation starts.
  setGenerating(number) {
    const generating = number !== null;
    if (generating && !this.generating) this.notice = "";
    this.generating = generating;
    this.generatingNumber = number;
    this.send.disabled = generating;
    this.stop.hidden = !generating;
    this.stop.disabled = false;
    this.showStatus();
  }

  setNotice(text) {
    this.notice = text;
    this.showStatus();
  }

  showStatus() {
    const working = this.generating ? `Generating v${this.generatingNumber}…` : "";
    this.status.textContent = [working, this.notice].filter(Boolean).join(" · ");
  }
}
