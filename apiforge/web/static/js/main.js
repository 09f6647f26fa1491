// Entry point: a two-route single-page app keyed on location.pathname.
import { renderHome } from "./home.js";
import { ProjectPage } from "./project.js";
import { clear } from "./dom.js";

const root = document.getElementById("app");
let current = null;

function route() {
  if (current && current.destroy) current.destroy();
  current = null;
  const match = location.pathname.match(/^\/projects\/([^/]+)\/?$/);
  if (match) {
    current = new ProjectPage(root, decodeURIComponent(match[1]), navigate);
    current.start();
  } else {
    renderHome(root, navigate);
  }
}

export function navigate(path) {
  if (path === location.pathname + location.search) return;
  history.pushState({}, "", path);
  clear(root);
  route();
}

window.addEventListener("popstate", () => {
  clear(root);
  route();
});

route();
