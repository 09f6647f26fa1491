// The rules both prompt boxes share: the count against the server's limit (from
// GET /api/health) as you type, and the reason a prompt is not sent, said next to the box.
import { api } from "./api.js";
import { h } from "./dom.js";

// Counted as the server counts: code points of the text sent, which is the trimmed text.
export function promptLength(text) {
  return [...text.trim()].length;
}

export class PromptCount {
  constructor(area) {
    this.area = area;
    this.limit = null;
    this.el = h("span", { class: "char-count", id: `${area.id}-count`, "aria-live": "off" });
    area.addEventListener("input", () => this.render());
    api.health().then((data) => {
      if (data && Number.isInteger(data.max_prompt_chars)) this.limit = data.max_prompt_chars;
      this.render();
    }).catch(() => {});
    this.render();
  }

  render() {
    const length = promptLength(this.area.value);
    const over = this.limit !== null && length > this.limit;
    this.el.textContent = this.limit === null ? `${length} characters` : `${length.toLocaleString()} / ${this.limit.toLocaleString()}`;
    this.el.title = this.limit === null ? "" : `Prompts can be up to ${this.limit.toLocaleString()} characters`;
    this.el.classList.toggle("over", over);
    this.area.setAttribute("aria-invalid", over ? "true" : "false");
  }

  // Why the current text cannot be sent, or "" when it can.
  problem() {
    const length = promptLength(this.area.value);
    if (!length) return "Type a prompt first: describe the API, or the change you want.";
    if (this.limit !== null && length > this.limit) {
      return `The prompt is ${length.toLocaleString()} characters; the limit is ${this.limit.toLocaleString()}.`;
    }
    return "";
  }
}
