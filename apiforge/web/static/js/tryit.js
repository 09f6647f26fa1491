// Try it, once a preview serves: its routes from its OpenAPI document, a request form, and the
// response. previewpanel.js decides when (which version, started or not).
// FastAPI's own /docs needs a CDN, so the page renders its own small form instead.
import { clear, h } from "./dom.js";
import { exampleFor, resolve } from "./examples.js";

const METHODS = ["get", "post", "put", "patch", "delete"];

export function operationsFrom(spec) {
  const out = [];
  for (const [path, item] of Object.entries(spec.paths || {})) {
    for (const method of METHODS) {
      if (item[method]) out.push({ path, method, op: item[method], shared: item.parameters || [] });
    }
  }
  return out;
}

export class TryItPanel {
  // onGone: called when the preview turns out not to run any more (stopped, replaced).
  constructor(container, onGone) {
    this.container = container;
    this.onGone = onGone;
    this.base = null;
    this.spec = null;
    this.version = null;
    this.partial = false;
  }

  // isCurrent: whether the page still wants this version when the description arrives.
  // partial: the app runs a still-streaming version's files so far (labelled so); fresh: read
  // its description again even if this version's is loaded (a later file restarted it).
  async load(previewUrl, version, isCurrent = () => true, { partial = false, fresh = false } = {}) {
    const base = new URL(previewUrl, location.origin);
    if (!base.pathname.endsWith("/")) base.pathname += "/";
    const same = this.spec && this.version === version && this.base && this.base.href === base.href;
    if (same && !fresh && partial === this.partial) {
      if (!this.container.querySelector(".tryit")) this.renderList();
      return true;
    }
    // A restarted partial preview keeps its list up while the new one is read.
    if (!same) clear(this.container, h("p", { class: "muted" }, `Loading the API description of version ${version}…`));
    let spec;
    try {
      const response = await fetch(new URL("openapi.json", base));
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      spec = await response.json();
    } catch (error) {
      if (isCurrent()) this.renderUnreachable(error);
      return false;
    }
    if (!isCurrent()) return false;
    Object.assign(this, { base, spec, version, partial });
    this.renderList();
    return true;
  }

  renderUnreachable(error) {
    clear(this.container, h("div", { class: "preview-start" },
      h("p", { class: "note note-failed" }, `The preview did not answer (${error.message}).`),
      h("button", { type: "button", class: "btn", onclick: () => this.onGone() }, "Check again")));
  }

  renderList() {
    const operations = operationsFrom(this.spec);
    const detail = h("div", { class: "tryit-detail", id: "tryit-detail" }, h("p", { class: "muted" }, "Pick a route."));
    const list = h("ul", { class: "tryit-routes", id: "tryit-routes" }, operations.map((operation) => h("li", {},
      h("button", {
        type: "button", class: "route-btn", "data-route": `${operation.method.toUpperCase()} ${operation.path}`,
        onclick: (event) => {
          for (const b of list.querySelectorAll(".route-btn")) b.removeAttribute("aria-current");
          event.currentTarget.setAttribute("aria-current", "true");
          this.renderForm(detail, operation);
        },
      }, h("span", { class: `method m-${operation.method}` }, operation.method.toUpperCase()), h("code", {}, operation.path),
      operation.op.summary ? h("span", { class: "muted route-summary" }, operation.op.summary) : null))));
    clear(this.container, h("div", { class: "tryit" },
      h("p", { class: "tryit-base", id: "tryit-label", "data-version": String(this.version) },
        h("strong", {}, `Preview of version ${this.version}`), h("span", { class: "muted" }, " at "), h("code", {}, this.base.pathname),
        this.partial ? h("span", { class: "badge badge-partial", id: "tryit-partial", title: "Booted from the files written so far; it restarts as more land, and is replaced by the validated app" }, "partial — code still streaming") : null),
      h("p", { class: "note note-failed", id: "tryit-boot-problem", role: "status", hidden: true }),
      list, detail));
  }

  // A later file broke the boot: the routes listed are the last app that booted.
  showBootProblem(reason) {
    const note = this.container.querySelector("#tryit-boot-problem");
    if (!note) return;
    note.textContent = `The latest files did not boot, so the preview keeps the last ones that did: ${reason}`;
    note.hidden = false;
  }

  renderForm(detail, operation) {
    const params = [...operation.shared, ...(operation.op.parameters || [])].filter((p) => ["path", "query", "header"].includes(p.in));
    const inputs = params.map((param) => {
      const input = h("input", { type: "text", name: param.name, "data-in": param.in, required: param.required,
        value: parameterValue(this.spec, param), "aria-label": `${param.name} (${param.in})` });
      return { param, input, row: h("label", { class: "field" }, h("span", {}, `${param.name} `, h("small", { class: "muted" }, param.in + (param.required ? ", required" : ""))), input) };
    });
    const bodySchema = operation.op.requestBody?.content?.["application/json"]?.schema;
    const body = bodySchema ? h("textarea", { class: "tryit-body", name: "body", rows: "7", "aria-label": "JSON body", spellcheck: "false" }) : null;
    if (body) body.value = JSON.stringify(exampleFor(this.spec, bodySchema), null, 2);
    const result = h("div", { class: "tryit-result", id: "tryit-result", "aria-live": "polite" });
    const form = h("form", { class: "tryit-form" },
      h("h3", {}, `${operation.method.toUpperCase()} ${operation.path}`),
      inputs.map((item) => item.row),
      body ? h("label", { class: "field" }, h("span", {}, "Body (JSON)"), body) : null,
      h("button", { type: "submit", class: "btn primary", id: "tryit-send" }, "Send request"), result);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send(operation, inputs, body, result);
    });
    clear(detail, form);
  }

  async send(operation, inputs, body, result) {
    let path = operation.path;
    const query = new URLSearchParams();
    const headers = {};
    for (const { param, input } of inputs) {
      if (input.value === "") continue;
      if (param.in === "path") path = path.replace(`{${param.name}}`, encodeURIComponent(input.value));
      else if (param.in === "query") query.set(param.name, input.value);
      else headers[param.name] = input.value;
    }
    const init = { method: operation.method.toUpperCase(), headers };
    if (body) {
      try {
        init.body = JSON.stringify(JSON.parse(body.value || "null"));
      } catch (error) {
        clear(result, h("p", { class: "note note-failed" }, `The body is not valid JSON: ${error.message}`));
        return;
      }
      headers["Content-Type"] = "application/json";
    }
    const url = new URL(path.replace(/^\//, "") + (query.size ? `?${query}` : ""), this.base);
    // The document comes from the untrusted app: a path such as /../../api/projects/{id} would
    // otherwise become a same-origin request to apiforge itself. URL parsing has folded ".."
    // (and %2e%2e, backslashes); whatever lands outside the preview is not sent.
    if (!insidePreview(url, this.base)) {
      clear(result, h("p", { class: "note note-failed", id: "tryit-refused" },
        `Not sent: ${operation.path} resolves to ${url.pathname}, outside this preview (${this.base.pathname}).`));
      return;
    }
    clear(result, h("p", { class: "muted" }, "Sending…"));
    const started = performance.now();
    try {
      const response = await fetch(url, init);
      const text = await response.text();
      renderResponse(result, response, text, performance.now() - started);
      if (response.status === 404 && isPreviewGone(text)) this.onGone();
    } catch (error) {
      clear(result, h("p", { class: "note note-failed" }, `Request failed: ${error.message}`));
    }
  }
}

// A path parameter is never optional, so it gets an example (an id of 1); others only their default.
function parameterValue(spec, param) {
  const schema = resolve(spec, param.schema);
  if (schema.default !== undefined) return String(schema.default);
  return param.in === "path" ? String(exampleFor(spec, param.schema, param.name)) : "";
}

function insidePreview(url, base) {
  const prefix = base.pathname.endsWith("/") ? base.pathname : `${base.pathname}/`;
  return url.origin === base.origin && url.pathname.startsWith(prefix);
}

// apiforge's own answer when no preview runs (the preview app's 404s look different).
function isPreviewGone(text) {
  try {
    return JSON.parse(text)?.error?.message?.startsWith("No preview is running") === true;
  } catch {
    return false;
  }
}

function renderResponse(result, response, text, ms) {
  let pretty = text;
  try {
    pretty = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // Not JSON: show as is.
  }
  const headerLines = [...response.headers.entries()].map(([k, v]) => `${k}: ${v}`).join("\n");
  clear(result,
    h("p", { class: "tryit-status" }, h("span", { class: `status-code s${String(response.status)[0]}xx`, id: "tryit-status" }, `${response.status} ${response.statusText}`),
      h("span", { class: "muted" }, ` · ${Math.round(ms)} ms`)),
    h("details", { class: "tryit-headers" }, h("summary", {}, "Headers"), h("pre", {}, headerLines)),
    h("pre", { class: "tryit-response", id: "tryit-response" }, pretty));
}
