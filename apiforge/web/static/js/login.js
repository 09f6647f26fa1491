// Password mode: the sign-in form shown while /api/auth/me answers 401, and the account bar
// (name and Sign out) once signed in with a session.
import { api, session } from "./api.js";
import { clear, h } from "./dom.js";

export function renderLogin(root, onSignedIn) {
  document.title = "Sign in · apiforge";
  const username = h("input", { id: "login-username", name: "username", autocomplete: "username", required: true });
  const password = h("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const status = h("p", { class: "inline-status", role: "alert", id: "login-status" });
  const submit = h("button", { class: "btn primary", type: "submit", id: "login-submit" }, "Sign in");
  const form = h("form", { class: "login-form", "aria-label": "Sign in" },
    h("h1", {}, "Sign in to apiforge"),
    h("label", { for: "login-username" }, "Username"), username,
    h("label", { for: "login-password" }, "Password"), password,
    status, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    status.textContent = "";
    try {
      const result = await api.login(username.value, password.value);
      session.csrfToken = result.csrf_token;
      onSignedIn({ username: result.user.username, via: "session" });
    } catch (error) {
      status.textContent = error.message;
      password.value = "";
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  clear(root, h("main", { class: "login-page" }, form));
  username.focus();
}

export function renderAccountBar(me, onSignedOut) {
  document.getElementById("account-bar")?.remove();
  if (me.via !== "session") return;
  const signOut = h("button", { class: "btn", type: "button", id: "logout" }, "Sign out");
  signOut.addEventListener("click", async () => {
    try {
      await api.logout();
    } finally {
      session.csrfToken = null;
      document.getElementById("account-bar")?.remove();
      onSignedOut();
    }
  });
  document.body.append(h("div", { class: "account-bar", id: "account-bar" },
    h("span", { class: "account-name" }, me.username), signOut));
}
