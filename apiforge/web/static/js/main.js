// Entry point: a two-route single-page app keyed on location.pathname.
import { renderHome } from "./home.js";
import { ProjectPage } from "./project.js";
import { clear } from "./dom.js";
import { api, session } from "./api.js";
import { renderAccountBar, renderLogin } from "./login.js";

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

// Password mode: who is signed in decides what shows; 401 means the sign-in form first.
async function start() {
  if (current && current.destroy) current.destroy();
  current = null;
  clear(root);
  let me = null;
  try {
    me = await api.me();
  } catch (error) {
    if (error.status === 401) {
      renderLogin(root, (signedIn) => { renderAccountBar(signedIn, start); clear(root); route(); });
      return;
    }
    // Any other failure: the pages themselves say what is wrong with the server.
  }
  if (me) {
    session.csrfToken = me.csrf_token;
    renderAccountBar(me, start);
  }
  route();
}

start();
