// Home: a prompt box and the recent projects. Submitting navigates at once; no toasts here.
import { api } from "./api.js";
import { clear, formatRelative, h } from "./dom.js";
import { autoResize } from "./input.js";
import { providerLabel } from "./provider.js";
import { PromptCount } from "./promptcount.js";

const EXAMPLES = [
  "A library API with books and members, with pagination",
  "A todo API with tags and due dates",
  "Inventory API: products, warehouses and stock levels",
];

export function renderHome(root, navigate) {
  document.title = "apiforge";
  const prompt = h("textarea", {
    id: "home-prompt", class: "prompt-input", rows: "3", "aria-label": "Describe the API to build",
    placeholder: "Describe the API you want… (Enter sends, Shift+Enter for a new line)",
  });
  const spinner = h("span", { class: "spinner", hidden: true, "aria-hidden": "true" });
  const status = h("span", { class: "inline-status", role: "status" });
  const send = h("button", { class: "btn primary", type: "submit", id: "home-send" }, spinner, "Build API");
  const count = new PromptCount(prompt);
  const form = h("form", { class: "home-form", "aria-label": "New API" }, prompt,
    h("div", { class: "home-form-row" }, status, count.el, send), providerLabel());
  const list = h("ul", { class: "project-list", id: "recent-projects", "aria-busy": "true" },
    [0, 1, 2].map(() => h("li", { class: "skeleton skeleton-row" })));
  const examples = h("div", { class: "examples" }, EXAMPLES.map((text) =>
    h("button", { class: "chip", type: "button", onclick: () => { prompt.value = text; prompt.focus(); autoResize(prompt); count.render(); } }, text)));

  autoResize(prompt);
  prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = prompt.value.trim();
    if (send.disabled) return;
    const problem = count.problem();
    status.textContent = problem;
    status.classList.toggle("problem", Boolean(problem));
    if (problem) {
      prompt.focus();
      return;
    }
    send.disabled = true;
    spinner.hidden = false;
    status.textContent = "Creating project…";
    try {
      const data = await api.createProject(text);
      navigate(`/projects/${encodeURIComponent(data.project.id)}`);
    } catch (error) {
      // Inline, next to the box: the one thing that cannot move to the project page.
      status.textContent = error.message;
      status.classList.add("problem");
      send.disabled = false;
      spinner.hidden = true;
    }
  });

  clear(root, h("main", { class: "home" },
    h("header", { class: "home-header" }, h("h1", { class: "logo" }, "apiforge"),
      h("p", { class: "tagline" }, "Chat an API into being.")),
    form, examples,
    h("section", { class: "recent", "aria-labelledby": "recent-title" },
      h("h2", { id: "recent-title" }, "Recent projects"), list)));
  prompt.focus();
  loadRecent(list, navigate);
}

async function loadRecent(list, navigate) {
  let projects = [];
  try {
    projects = (await api.listProjects()).projects || [];
  } catch {
    clear(list, h("li", { class: "muted" }, "Could not load projects."));
    list.removeAttribute("aria-busy");
    return;
  }
  list.removeAttribute("aria-busy");
  if (!projects.length) {
    clear(list, h("li", { class: "muted" }, "No projects yet — describe one above."));
    return;
  }
  clear(list, projects.map((project) => projectItem(project, navigate)));
}

function projectItem(project, navigate) {
  const latest = project.latest_version;
  const href = `/projects/${encodeURIComponent(project.id)}`;
  const link = h("a", { href, class: "project-link" },
    h("span", { class: "project-name" }, project.name),
    h("span", { class: "project-meta" },
      latest ? h("span", { class: `badge status-${latest.status}` }, `v${latest.number} · ${latest.status}`) : null,
      h("span", { class: "muted" }, formatRelative(project.updated_at))));
  link.addEventListener("click", (event) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(href);
  });
  return h("li", {}, link);
}
