// The chat column: one block per version (prompt, activity, card, reply) and smart auto-scroll.
import { clear, copyButton, formatClock, h } from "./dom.js";
import { STATUS, isActiveStatus } from "./model.js";
import { activityItems } from "./activity.js";
import { VersionCard } from "./card.js";

const STICK_THRESHOLD_PX = 48;

export class ChatLog {
  constructor(container, { onCardAction, onOpenFile }) {
    this.log = h("div", { class: "chat-log", id: "chat-log", role: "log", "aria-label": "Conversation", tabindex: "0" });
    this.jump = h("button", { class: "btn small jump-latest", type: "button", hidden: true, onclick: () => this.scrollToBottom(true) }, "↓ New messages");
    clear(container, this.log, this.jump);
    this.blocks = new Map();
    this.signatures = new Map();
    this.stick = true;
    this.card = new VersionCard({ onAction: onCardAction, onOpenFile });
    this.log.addEventListener("scroll", () => {
      this.stick = this.log.scrollTop + this.log.clientHeight >= this.log.scrollHeight - STICK_THRESHOLD_PX;
      if (this.stick) this.jump.hidden = true;
    });
  }

  destroy() {
    this.card.destroy();
  }

  showSkeleton() {
    clear(this.log, [0, 1].map(() => h("div", { class: "skeleton skeleton-bubble", "aria-hidden": "true" })));
  }

  // view: {version, live, reply, replyAt, cardFiles, createdAt}
  renderVersion(view) {
    const signature = JSON.stringify([view.version, view.reply, view.cardFiles, view.live && liveSignature(view.live)]);
    if (this.signatures.get(view.version.number) === signature) return;
    this.signatures.set(view.version.number, signature);
    let block = this.blocks.get(view.version.number);
    if (!block) {
      block = h("article", { class: "version-block", id: `chat-v${view.version.number}`, "data-version": String(view.version.number) });
      this.blocks.set(view.version.number, block);
      this.insertInOrder(block, view.version.number);
    }
    clear(block, this.blockContent(view));
    this.afterChange();
  }

  insertInOrder(block, number) {
    if (this.log.querySelector(".skeleton")) this.log.replaceChildren();
    const later = [...this.blocks.entries()].filter(([n]) => n > number).sort((a, b) => a[0] - b[0]);
    const anchor = later.length ? later[0][1] : null;
    if (anchor && anchor.isConnected) this.log.insertBefore(block, anchor);
    else this.log.append(block);
  }

  blockContent({ version, live, reply, replyAt, cardFiles }) {
    const status = live ? live.status : version.status;
    // A restore comes from the version menu, not from something the person typed.
    const fromMenu = version.origin === "restore";
    const parts = [fromMenu ? menuAction(version) : message("user", version.prompt, version.created_at)];
    parts.push(activityList(version, live));
    if (status === STATUS.COMPLETE) parts.push(this.card.render(version, cardFiles));
    if (reply) parts.push(message("assistant", reply, replyAt || version.completed_at, isActiveStatus(status)));
    else if (isActiveStatus(status)) parts.push(h("div", { class: "msg assistant pending" }, h("span", { class: "typing-dots", "aria-label": "Working" }, h("i"), h("i"), h("i"))));
    if (status === STATUS.FAILED) parts.push(this.card.render(version, cardFiles, failure(version, live, reply)));
    if (status === STATUS.CANCELLED) {
      const error = (live && live.error) || version.error;
      parts.push(h("p", { class: "note note-cancelled" }, `Stopped${error ? ` (${error})` : ""}.`));
    }
    return parts;
  }

  afterChange() {
    if (this.stick) this.scrollToBottom(false);
    else this.jump.hidden = false;
  }

  scrollToBottom(smooth) {
    this.log.scrollTo({ top: this.log.scrollHeight, behavior: smooth ? "smooth" : "auto" });
    this.stick = true;
    this.jump.hidden = true;
  }

  scrollToVersion(number) {
    const block = this.blocks.get(number);
    if (!block) return;
    this.log.scrollTo({ top: block.offsetTop - this.log.offsetTop - 8, behavior: "auto" });
    this.stick = false;
    block.classList.remove("flash");
    void block.offsetWidth;
    block.classList.add("flash");
  }
}

// What a failed version's card says: the step that failed, and the error unless the reply
// already says it (a failed validation always ends the reply with its summary line; other
// failures are stored as the reply once the version is saved).
function failure(version, live, reply) {
  const steps = live ? live.steps : {};
  const step = Object.keys(steps).find((name) => steps[name].state === "failed") || "generating";
  const error = (live && live.error) || version.error || "";
  const said = Boolean(reply) && (step === "validating" || reply.includes(error));
  return { step, error: said ? "" : error };
}

function liveSignature(live) {
  return [live.status, live.text, live.activities.length, live.stages.length, live.error, live.validationOk,
    Object.values(live.steps).map((step) => step.state).join()];
}

function message(role, text, at, streaming = false) {
  return h("div", { class: `msg ${role}${streaming ? " streaming" : ""}` },
    h("div", { class: "msg-head" },
      h("span", { class: "msg-role" }, role === "user" ? "You" : "apiforge"),
      h("time", { class: "msg-time", datetime: at || "" }, formatClock(at)),
      copyButton(text, role === "user" ? "Copy prompt" : "Copy reply")),
    h("div", { class: "msg-text" }, text));
}

function activityList(version, live) {
  const items = activityItems(version, live);
  if (!items.length) return null;
  return h("ul", { class: "activity", "aria-label": "Activity" }, items.map((text) => h("li", {}, h("span", { class: "activity-dot", "aria-hidden": "true" }), text)));
}

function menuAction(version) {
  const text = `${version.prompt} (from the version menu)`;
  return h("p", { class: "menu-action" }, h("span", { "aria-hidden": "true" }, "↺ "), text,
    h("time", { class: "msg-time", datetime: version.created_at || "" }, ` · ${formatClock(version.created_at)}`));
}
