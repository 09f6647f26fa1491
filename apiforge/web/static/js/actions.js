// What the version card menu and the Compare button do. Endpoints a server lacks (404) are
// reported inline and the action is disabled for the rest of the visit.
import { api } from "./api.js";
import { copyText, download } from "./dom.js";
import { diffFromFiles, renderDiff } from "./diffview.js";

const UNAVAILABLE_TEXT = {
  regenerate: "Regenerate is not available on this server.",
  restore: "Restore is not available on this server.",
  zip: "ZIP download is not available on this server.",
  fork: "Fork is not available on this server.",
};

export class CardActions {
  constructor(page) {
    this.page = page;
    this.unavailable = new Set();
  }

  async run(action, n) {
    const page = this.page;
    if (this.unavailable.has(action)) {
      page.composer.setNotice(UNAVAILABLE_TEXT[action]);
      return;
    }
    try {
      if (action === "copy") await this.copyAll(n);
      else if (action === "zip") await this.downloadZip(n);
      else if (action === "compare") await this.compare(n);
      else if (action === "regenerate") await this.startVersion(api.regenerate(page.id, n), "");
      else if (action === "restore") await this.startVersion(api.restore(page.id, n), `Restored v${n}.`);
      else if (action === "fork") await this.fork(n);
    } catch (error) {
      if (error.status === 404 || error.status === 405) {
        this.unavailable.add(action);
        for (const item of document.querySelectorAll(`.menu-item[data-action="${action}"]`)) item.disabled = true;
        page.composer.setNotice(UNAVAILABLE_TEXT[action] || error.message);
      } else {
        page.composer.setNotice(error.status === 409 ? "A version is already generating — wait or press Stop." : error.message);
      }
    }
  }

  async copyAll(n) {
    const files = await this.page.files.load(n);
    const text = Object.entries(files || {}).map(([path, content]) => `# ===== ${path} =====\n${content}`).join("\n");
    const ok = await copyText(text);
    this.page.composer.setNotice(ok ? `Copied ${Object.keys(files || {}).length} files of v${n}.` : "Copy failed.");
  }

  async downloadZip(n) {
    const response = await fetch(api.archiveUrl(this.page.id, n));
    if (!response.ok) {
      const error = new Error(`HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    download(zipName(response, this.page.project, n), await response.blob());
    this.page.composer.setNotice(`Downloaded v${n} as ZIP.`);
  }

  async startVersion(request, notice) {
    const data = await request;
    if (notice) this.page.composer.setNotice(notice);
    if (data && data.version) this.page.showNewVersion(data.version);
  }

  async fork(n) {
    const data = await api.fork(this.page.id, n);
    this.page.navigate(`/projects/${encodeURIComponent(data.project.id)}`);
  }

  async compare(n, against = n - 1) {
    const page = this.page;
    if (!(n > 1)) return;
    let result;
    try {
      result = await api.getDiff(page.id, n, against);
    } catch (error) {
      if (error.status !== 404 && error.status !== 405) throw error;
      // Older servers have no diff endpoint: compare the two file maps here.
      const [before, after] = await Promise.all([page.files.load(against), page.files.load(n)]);
      result = { files: diffFromFiles(before || {}, after || {}), routes: null };
    }
    renderDiff(page.el.diff, { from: against, to: n, files: result.files || [], routes: result.routes || null });
    page.el.paneTabs.diff.hidden = false;
    page.showPane("diff");
    page.el.page.classList.replace("show-chat", "show-code");
    page.el.mobileTabs.code.click();
  }
}

// The server names the archive (Content-Disposition); the project name is the fallback.
function zipName(response, project, n) {
  const header = response.headers.get("Content-Disposition") || "";
  const match = header.match(/filename="?([^";]+)"?/);
  if (match) return match[1];
  const name = (project?.name || "api").replace(/[^\w-]+/g, "-").toLowerCase();
  return `${name}-v${n}.zip`;
}
