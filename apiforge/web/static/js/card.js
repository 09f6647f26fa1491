// The compact, collapsible version card: "› Built API v1 ⋮" with its files and actions menu.
// A failed version gets one too ("› Failed at Validating v2 · Retry ⋮"): its files are stored,
// so they can be viewed, downloaded and compared, but not restored or forked as if they worked.
import { formatCost } from "./cost.js";
import { baseName, h } from "./dom.js";
import { validatedAsLabel, versionValidationText } from "./model.js";

const ACTIONS = [
  ["regenerate", "Regenerate"],
  ["copy", "Copy all files"],
  ["zip", "Download ZIP"],
  ["compare", "Compare with previous"],
  ["restore", "Restore this version"],
  ["fork", "Fork into a new project"],
];
const FAILED_ACTIONS = new Set(["regenerate", "copy", "zip", "compare"]);
const STEP_LABELS = { planning: "Planning", generating: "Generating", validating: "Validating", complete: "Saving" };

export class VersionCard {
  constructor({ onAction, onOpenFile }) {
    this.onAction = onAction;
    this.onOpenFile = onOpenFile;
    this.expanded = new Set();
    // The version whose menu is open: a card is drawn again when its files arrive, and the menu
    // a person just opened must not vanish under their pointer.
    this.openMenu = null;
    this.onDocumentClick = (event) => {
      if (!event.target.closest(".card-menu-wrap")) this.closeMenus();
    };
    document.addEventListener("click", this.onDocumentClick);
  }

  destroy() {
    document.removeEventListener("click", this.onDocumentClick);
  }

  // failure: {step, error} for a failed version (error is "" when the chat already says it).
  render(version, files, failure = null) {
    const number = version.number;
    const open = this.expanded.has(number);
    const listId = `card-files-v${number}`;
    const toggle = h("button", {
      type: "button", class: "card-toggle", "aria-expanded": String(open), "aria-controls": listId,
      onclick: () => {
        if (this.expanded.has(number)) this.expanded.delete(number);
        else this.expanded.add(number);
        const card = toggle.closest(".version-card");
        card.replaceWith(this.render(version, files, failure));
      },
    }, h("span", { class: "chevron", "aria-hidden": "true" }, "›"),
    h("span", { class: "card-title" }, failure ? `Failed at ${STEP_LABELS[failure.step] || failure.step}` : titleFor(version)),
    h("span", { class: "card-version" }, `v${number}`), validatedAsBadge(version), costBadge(version));
    const retry = failure ? h("button", {
      type: "button", class: "btn small card-retry", "data-action": "regenerate",
      onclick: () => this.onAction("regenerate", number),
    }, "↻ Retry") : null;
    return h("div", { class: `version-card${open ? " open" : ""}${failure ? " failed" : ""}`, "data-version": String(number) },
      h("div", { class: "card-head" }, toggle, retry, this.menu(version, failure !== null)),
      failure && failure.error ? h("p", { class: "card-error" }, failure.error) : null,
      open ? fileList(listId, files, (path) => this.onOpenFile(number, path)) : null);
  }

  menu(version, failed) {
    const button = h("button", { type: "button", class: "icon-btn card-menu-btn", "aria-haspopup": "menu", "aria-expanded": "false", "aria-label": `Actions for v${version.number}` }, "⋮");
    const actions = failed ? ACTIONS.filter(([action]) => FAILED_ACTIONS.has(action)) : ACTIONS;
    const items = actions.map(([action, label]) => h("button", {
      type: "button", role: "menuitem", class: "menu-item", "data-action": action,
      disabled: action === "compare" && version.number < 2,
      onclick: () => { this.closeMenus(); button.focus(); this.onAction(action, version.number); },
    }, label));
    const open = this.openMenu === version.number;
    const list = h("div", { class: "card-menu", role: "menu", hidden: !open }, items);
    button.setAttribute("aria-expanded", String(open));
    button.addEventListener("click", () => {
      const wasOpen = !list.hidden;
      this.closeMenus();
      list.hidden = wasOpen;
      button.setAttribute("aria-expanded", String(!wasOpen));
      if (!wasOpen) {
        this.openMenu = version.number;
        items.find((item) => !item.disabled).focus();
      }
    });
    list.addEventListener("keydown", (event) => {
      menuKeys(event, items, list, button);
      if (list.hidden) this.openMenu = null;
    });
    return h("div", { class: "card-menu-wrap" }, button, list);
  }

  closeMenus() {
    this.openMenu = null;
    closeMenus();
  }
}

// Only for versions a model was asked for: the offline engine's and restored ones used no token.
function costBadge(version) {
  const usage = version.usage;
  const tokens = usage ? usage.prompt_tokens + usage.completion_tokens : 0;
  if (!tokens) return null;
  const text = `${tokens.toLocaleString("en-US")} tokens · ${formatCost(version.cost_usd)}`;
  const known = version.cost_usd !== null && version.cost_usd !== undefined;
  return h("span", {
    class: "card-cost", "data-cost": known ? String(version.cost_usd) : "unknown",
    title: known ? `${usage.prompt_tokens} prompt + ${usage.completion_tokens} completion tokens` : "No price for this model (APIFORGE_PRICES)",
  }, text);
}

// A restore or fork ran no sandbox; its card says whose report it carries.
function validatedAsBadge(version) {
  const as = validatedAsLabel(version.validated_as, version.project_id);
  if (!as || !Array.isArray(version.validation)) return null;
  return h("span", { class: "card-validated", title: versionValidationText(version) }, `validated as ${as}`);
}

function titleFor(version) {
  if (version.origin === "restore") return "Restored API";
  if (version.origin === "fork") return "Forked API";
  return version.number === 1 ? "Built API" : "Updated API";
}

function fileList(id, files, open) {
  if (!files) return h("p", { class: "card-files muted", id }, "Loading files…");
  if (!files.length) return h("p", { class: "card-files muted", id }, "No file changes.");
  return h("ul", { class: "card-files", id }, files.map((file) => h("li", {},
    h("button", {
      type: "button", class: `card-file op-${file.operation || "none"}`, "data-path": file.path,
      disabled: file.operation === "deleted", onclick: () => open(file.path),
    }, h("span", { class: "card-file-name" }, baseName(file.path)), h("span", { class: "card-file-path" }, file.path)))));
}

function menuKeys(event, items, list, button) {
  const enabled = items.filter((item) => !item.disabled);
  const index = enabled.indexOf(document.activeElement);
  if (event.key === "Escape") {
    list.hidden = true;
    button.setAttribute("aria-expanded", "false");
    button.focus();
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const step = event.key === "ArrowDown" ? 1 : -1;
    enabled[(index + step + enabled.length) % enabled.length].focus();
  }
}

function closeMenus() {
  for (const menu of document.querySelectorAll(".card-menu")) menu.hidden = true;
  for (const button of document.querySelectorAll(".card-menu-btn")) button.setAttribute("aria-expanded", "false");
}
