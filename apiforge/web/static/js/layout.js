// The project page's frame: header, progress strip, chat and code columns, tabs on narrow screens.
import { clear, formatClock, h } from "./dom.js";
import { STATUS } from "./model.js";

export function buildLayout(root, { onBack, onVersion, onCompare, onPane, onMobileTab, onDevConsole }) {
  const el = {};
  el.name = h("h1", { class: "project-title", id: "project-name" }, h("span", { class: "skeleton skeleton-title" }));
  el.versionSelect = h("select", { id: "version-select", "aria-label": "Version", disabled: true, onchange: (e) => onVersion(Number(e.target.value)) });
  el.compare = h("button", { type: "button", class: "btn small", id: "compare-button", disabled: true, onclick: onCompare }, "Compare");
  el.connection = h("span", { class: "conn-badge", id: "connection-state", role: "status", "data-state": "connecting" }, "Connecting…");
  el.progress = h("section", { class: "progress", id: "progress", "aria-label": "Generation progress" });
  el.chat = h("div", { class: "chat-area" });
  el.composer = h("div", { class: "composer-wrap" });
  el.tree = h("nav", { class: "file-tree", id: "file-tree", "aria-label": "Files" });
  el.code = h("div", { class: "code-view", id: "code-view" });
  el.diff = h("div", { class: "pane diff-pane", id: "diff-pane", role: "tabpanel", hidden: true, tabindex: "0" });
  el.tryit = h("div", { class: "pane tryit-pane", id: "tryit-pane", role: "tabpanel", hidden: true });
  el.codePane = h("div", { class: "pane code-pane", id: "code-pane", role: "tabpanel" }, el.tree, el.code);
  el.paneTabs = {
    code: paneTab("code", "Code", onPane),
    diff: paneTab("diff", "Diff", onPane),
    tryit: paneTab("tryit", "Try it", onPane),
  };
  el.paneTabs.diff.hidden = true;
  el.paneTabs.tryit.title = "Send requests to the selected version's live preview";
  el.mobileTabs = {
    chat: h("button", { type: "button", role: "tab", class: "mtab", id: "tab-chat", "aria-selected": "true", onclick: () => onMobileTab("chat") }, "Chat"),
    code: h("button", { type: "button", role: "tab", class: "mtab", id: "tab-code", "aria-selected": "false", onclick: () => onMobileTab("code") }, "Code"),
  };
  const back = h("a", { href: "/", class: "logo-link", "aria-label": "apiforge home" }, "apiforge");
  back.addEventListener("click", (event) => { event.preventDefault(); onBack(); });
  const page = h("div", { class: "project-page show-chat", id: "project-page" },
    h("header", { class: "topbar" }, back, el.name,
      h("div", { class: "topbar-tools" }, el.versionSelect, el.compare, el.connection,
        h("button", { type: "button", class: "icon-btn", id: "dev-toggle", title: "Developer console (Ctrl+Shift+D)", "aria-label": "Toggle developer console", onclick: onDevConsole }, "{ }"))),
    h("div", { class: "mobile-tabs", role: "tablist", "aria-label": "View" }, el.mobileTabs.chat, el.mobileTabs.code),
    el.progress,
    h("main", { class: "workspace" },
      h("section", { class: "chat-col", id: "chat-col", "aria-label": "Chat" }, el.chat, el.composer),
      h("section", { class: "code-col", id: "code-col", "aria-label": "Code" },
        h("div", { class: "pane-tabs", role: "tablist", "aria-label": "Code views" }, Object.values(el.paneTabs)),
        el.codePane, el.diff, el.tryit)));
  clear(root, page);
  el.page = page;
  return el;
}

function paneTab(name, label, onPane) {
  return h("button", { type: "button", role: "tab", class: "ptab", id: `ptab-${name}`, "aria-controls": `${name}-pane`, "aria-selected": String(name === "code"), onclick: () => onPane(name) }, label);
}

export function selectPane(el, name) {
  for (const [key, tab] of Object.entries(el.paneTabs)) tab.setAttribute("aria-selected", String(key === name));
  el.codePane.hidden = name !== "code";
  el.diff.hidden = name !== "diff";
  el.tryit.hidden = name !== "tryit";
}

export function selectMobileTab(el, name) {
  el.page.classList.toggle("show-chat", name === "chat");
  el.page.classList.toggle("show-code", name === "code");
  el.mobileTabs.chat.setAttribute("aria-selected", String(name === "chat"));
  el.mobileTabs.code.setAttribute("aria-selected", String(name === "code"));
}

function shortLabel(version) {
  if (version.number === 1) return "initial";
  const source = (version.summary || version.prompt || "").split(/[.\n]/)[0].trim();
  return source.length > 28 ? `${source.slice(0, 27)}…` : source || "…";
}

export function renderVersionOptions(select, versions, selected) {
  const options = [...versions].sort((a, b) => b.number - a.number).map((version) => {
    const prompt = version.prompt.length > 40 ? `${version.prompt.slice(0, 39)}…` : version.prompt;
    const status = version.status === STATUS.COMPLETE ? "" : ` [${version.status}]`;
    return h("option", { value: String(version.number), selected: version.number === selected },
      `v${version.number} (${shortLabel(version)}) · ${formatClock(version.created_at)} · “${prompt}”${status}`);
  });
  const signature = options.map((o) => o.textContent).join("|") + selected;
  if (select.dataset.signature === signature) return;
  select.dataset.signature = signature;
  clear(select, options);
  select.value = String(selected);
  select.disabled = versions.length === 0;
}

const CONNECTION_TEXT = { connecting: "Connecting…", open: "Live", reconnecting: "Reconnecting…", polling: "Offline · polling", closed: "Closed", idle: "" };

export function renderConnection(badge, state) {
  badge.dataset.state = state;
  badge.textContent = CONNECTION_TEXT[state] ?? state;
}
