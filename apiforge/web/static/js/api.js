// The REST API client: every call returns parsed JSON or throws ApiError.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// The signed-in session's CSRF token (password mode): every change made with the session
// cookie must carry it, or the server refuses it (docs/security.md).
export const session = { csrfToken: null };
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

async function request(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (!SAFE_METHODS.has(method) && session.csrfToken) init.headers["X-CSRF-Token"] = session.csrfToken;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, "network", `Network error: ${error.message}`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const info = (data && data.error) || {};
    throw new ApiError(response.status, info.code || "http_error", info.message || response.statusText);
  }
  return data;
}

const enc = encodeURIComponent;
const projectPath = (id) => `/api/projects/${enc(id)}`;
const versionPath = (id, n) => `${projectPath(id)}/versions/${n}`;

export const api = {
  health: () => request("GET", "/api/health"),
  me: () => request("GET", "/api/auth/me"),
  login: (username, password) => request("POST", "/api/auth/login", { username, password }),
  logout: () => request("POST", "/api/auth/logout"),
  listProjects: () => request("GET", "/api/projects"),
  createProject: (prompt) => request("POST", "/api/projects", { prompt }),
  getProject: (id) => request("GET", projectPath(id)),
  deleteProject: (id) => request("DELETE", projectPath(id)),
  listVersions: (id) => request("GET", `${projectPath(id)}/versions`),
  getVersion: (id, n) => request("GET", versionPath(id, n)),
  createVersion: (id, prompt) => request("POST", `${projectPath(id)}/versions`, { prompt }),
  getFiles: (id, n) => request("GET", `${versionPath(id, n)}/files`),
  getDiff: (id, n, against) => request("GET", `${versionPath(id, n)}/diff?against=${against}`),
  cancel: (id) => request("POST", `${projectPath(id)}/cancel`),
  messages: (id) => request("GET", `${projectPath(id)}/messages`),
  restore: (id, n) => request("POST", `${versionPath(id, n)}/restore`),
  regenerate: (id, n) => request("POST", `${versionPath(id, n)}/regenerate`),
  fork: (id, n) => request("POST", `${versionPath(id, n)}/fork`),
  previewState: (id, n) => request("GET", `${versionPath(id, n)}/preview`),
  startPreview: (id, n) => request("POST", `${versionPath(id, n)}/preview`),
  archiveUrl: (id, n) => `${versionPath(id, n)}/archive.zip`,
  streamUrl: (id) => `/api/stream/${enc(id)}`,
};
