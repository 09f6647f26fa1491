// Syntax highlighting through the vendored highlight.js core plus a few grammars.
import hljs from "../vendor/highlight.js-11.11.1/core.min.js";
import python from "../vendor/highlight.js-11.11.1/languages/python.min.js";
import json from "../vendor/highlight.js-11.11.1/languages/json.min.js";
import yaml from "../vendor/highlight.js-11.11.1/languages/yaml.min.js";
import ini from "../vendor/highlight.js-11.11.1/languages/ini.min.js";
import markdown from "../vendor/highlight.js-11.11.1/languages/markdown.min.js";
import bash from "../vendor/highlight.js-11.11.1/languages/bash.min.js";
import plaintext from "../vendor/highlight.js-11.11.1/languages/plaintext.min.js";
import dockerfile from "../vendor/highlight.js-11.11.1/languages/dockerfile.min.js";
import javascript from "../vendor/highlight.js-11.11.1/languages/javascript.min.js";
import typescript from "../vendor/highlight.js-11.11.1/languages/typescript.min.js";
import sql from "../vendor/highlight.js-11.11.1/languages/sql.min.js";
import xml from "../vendor/highlight.js-11.11.1/languages/xml.min.js";

const GRAMMARS = { python, json, yaml, ini, markdown, bash, plaintext, dockerfile, javascript, typescript, sql, xml };
for (const [name, grammar] of Object.entries(GRAMMARS)) hljs.registerLanguage(name, grammar);

const BY_EXTENSION = {
  py: "python", json: "json", yml: "yaml", yaml: "yaml", toml: "ini", ini: "ini", cfg: "ini",
  md: "markdown", sh: "bash", js: "javascript", mjs: "javascript", ts: "typescript", sql: "sql",
  html: "xml", xml: "xml", txt: "plaintext",
};

export function languageFor(path) {
  const name = path.split("/").pop().toLowerCase();
  if (name === "dockerfile") return "dockerfile";
  if (name.startsWith(".env")) return "bash";
  const ext = name.includes(".") ? name.split(".").pop() : "";
  return BY_EXTENSION[ext] || "plaintext";
}

export function highlight(code, path) {
  return hljs.highlight(code, { language: languageFor(path), ignoreIllegals: true }).value;
}

export function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
