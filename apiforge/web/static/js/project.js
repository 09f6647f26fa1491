// The project page controller: REST load, the live stream, and the views kept in step.
import { api } from "./api.js";
import { ChatLog } from "./chat.js";
import { CodeViewer } from "./codeview.js";
import { Composer } from "./composer.js";
import { DevConsole } from "./devconsole.js";
import { FileTree } from "./filetree.js";
import { GenerationModel, STATUS, isActiveStatus } from "./model.js";
import { ProgressTracker } from "./progress.js";
import { EventStream } from "./stream.js";
import { PreviewPanel } from "./previewpanel.js";
import { VersionFiles } from "./versionfiles.js";
import { buildLayout, renderConnection, renderVersionOptions, selectMobileTab, selectPane } from "./layout.js";
import { CardActions } from "./actions.js";

export class ProjectPage {
  constructor(root, projectId, navigate) {
    this.root = root;
    this.id = projectId;
    this.navigate = navigate;
    this.startedAt = Date.now();
    this.model = new GenerationModel();
    this.files = new VersionFiles(projectId, () => this.scheduleRender());
    this.versions = new Map();
    this.messages = [];
    this.project = null;
    this.viewVersion = null;
    this.selectedPath = null;
    this.follow = true;
    this.renderQueued = false;
    this.destroyed = false;
  }

  start() {
    const el = buildLayout(this.root, {
      onBack: () => this.navigate("/"),
      onVersion: (n) => this.switchVersion(n, true),
      onCompare: () => this.actions.compare(this.viewVersion),
      onPane: (name) => this.showPane(name),
      onMobileTab: (name) => selectMobileTab(el, name),
      onDevConsole: () => this.dev.toggle(),
    });
    this.el = el;
    this.progress = new ProgressTracker(el.progress, () => ({ validates: this.validates, profile: this.model.validationProfile }));
    // Whether versions are validated: the time left while writing files includes validation.
    this.validates = null;
    api.health().then((data) => { this.validates = data.validator !== "none"; }).catch(() => {});
    this.chat = new ChatLog(el.chat, {
      onCardAction: (action, n) => this.actions.run(action, n),
      onOpenFile: (n, path) => this.openFile(n, path),
    });
    this.composer = new Composer(el.composer, { onSend: (text) => this.sendFollowUp(text), onStop: () => this.stop() });
    this.tree = new FileTree(el.tree, (path) => this.pickFile(path));
    this.viewer = new CodeViewer(el.code);
    this.tryit = new PreviewPanel(el.tryit, this.id);
    this.actions = new CardActions(this);
    this.dev = new DevConsole(this.startedAt);
    this.dev.mount(document.body);
    this.chat.showSkeleton();
    this.tree.showSkeleton();
    this.viewer.showSkeleton();
    this.stream = new EventStream(api.streamUrl(this.id), {
      onEvent: (event, id) => this.onEvent(event, id),
      onState: (state) => { renderConnection(el.connection, state); this.dev.recordState(state); },
      poll: () => this.refresh(),
    });
    this.stream.start();
    this.refresh();
  }

  destroy() {
    this.destroyed = true;
    this.stream.stop();
    this.progress.destroy();
    this.dev.destroy();
    this.chat.destroy();
  }

  async refresh() {
    let data;
    let messages;
    try {
      [data, messages] = await Promise.all([api.getProject(this.id), api.messages(this.id).catch(() => ({ messages: [] }))]);
    } catch (error) {
      if (error.status === 404) this.showMissing();
      return;
    }
    if (this.destroyed) return;
    this.project = data.project;
    this.messages = messages.messages || [];
    for (const version of data.versions || []) this.noteVersion(version);
    if (this.viewVersion === null && this.versions.size) this.viewVersion = Math.max(...this.versions.keys());
    if (!this.versions.size) this.tree.render([], null);
    this.scheduleRender();
  }

  noteVersion(version) {
    const previous = this.versions.get(version.number);
    this.versions.set(version.number, version);
    const live = this.model.seedFromVersion(version);
    if (hasFiles(version.status) && (!previous || previous.status !== version.status)) {
      this.files.load(version.number).then(() => this.scheduleRender());
    }
    return live;
  }

  showMissing() {
    this.el.name.textContent = "Project not found";
    this.chat.log.textContent = "This project does not exist (it may have been deleted).";
    this.stream.stop();
  }

  onEvent(event, lastEventId) {
    this.dev.recordEvent(event, lastEventId);
    const live = this.model.apply(event);
    if (!live) return;
    const n = live.number;
    if (event.type === "version:start") this.startLiveVersion(event);
    this.tryit.onEvent(event);
    if (["version:complete", "cancelled", "error"].includes(event.type)) this.finishLiveVersion(n);
    if (event.type === "snapshot" && event.version) this.noteVersion({ ...event.version, number: n });
    this.scheduleRender();
  }

  startLiveVersion(event) {
    const n = event.version_number;
    const known = this.versions.get(n);
    if (!known) {
      this.versions.set(n, { number: n, id: event.version_id, prompt: event.prompt, summary: "", status: STATUS.GENERATING,
        created_at: new Date(event.ts * 1000).toISOString(), completed_at: null, origin: "prompt" });
    } else if (!isActiveStatus(known.status) && isActiveStatus(this.model.live(n).status)) {
      known.status = STATUS.GENERATING;
    }
    if (this.viewVersion === null || n >= this.viewVersion) {
      this.viewVersion = n;
      this.follow = true;
      this.selectedPath = null;
    }
  }

  async finishLiveVersion(n) {
    await this.refresh();
    if (hasFiles(this.model.live(n).status)) await this.files.load(n, true);
    this.scheduleRender();
  }

  scheduleRender() {
    if (this.renderQueued || this.destroyed) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      if (!this.destroyed) this.render();
    });
  }

  liveNumber() {
    const active = [...this.model.versions.values()].filter((live) => isActiveStatus(live.status) && this.versions.has(live.number));
    return active.length ? Math.max(...active.map((live) => live.number)) : null;
  }

  render() {
    if (this.project) {
      this.el.name.textContent = this.project.name;
      document.title = `${this.project.name} · apiforge`;
    }
    const versions = [...this.versions.values()].sort((a, b) => a.number - b.number);
    renderVersionOptions(this.el.versionSelect, versions, this.viewVersion);
    this.el.compare.disabled = !(this.viewVersion > 1);
    this.progress.render(this.shownLive(versions));
    const liveNumber = this.liveNumber();
    this.composer.setGenerating(liveNumber);
    for (const version of versions) this.renderChatVersion(version);
    this.tryit.select(this.viewVersion);
    this.renderCode();
  }

  // The status line and step bar describe the version the switcher shows, not the newest one.
  shownLive(versions) {
    const number = this.versions.has(this.viewVersion) ? this.viewVersion : versions.at(-1)?.number;
    return number === undefined ? null : this.model.live(number);
  }

  renderChatVersion(version) {
    const live = this.model.versions.get(version.number) || null;
    // System messages (e.g. "Restored the files of v1 as v3.") are the reply of versions made
    // without a generation.
    const stored = this.messages.filter((m) => (m.role === "assistant" || m.role === "system") && m.version_number === version.number);
    const streamed = live && live.fromEvents && (isActiveStatus(live.status) || !stored.length) ? live.text : "";
    const reply = stored.length ? stored.map((m) => m.content).join("\n\n") : streamed;
    const shown = { ...version, status: live ? live.status : version.status };
    const cardFiles = hasFiles(shown.status) ? this.files.changes(version.number, this.versions, this.model) : null;
    this.chat.renderVersion({ version: shown, live, reply, replyAt: stored.length ? stored.at(-1).created_at : null, cardFiles });
  }

  renderCode() {
    const n = this.viewVersion;
    if (n === null) return;
    const entries = this.files.entries(n, this.versions, this.model);
    if (!entries) return;
    const live = this.model.versions.get(n);
    const streaming = Boolean(live && live.fromEvents && isActiveStatus(live.status));
    let path = this.selectedPath;
    if (streaming && this.follow && live.currentPath) path = live.currentPath;
    if (!entries.some((entry) => entry.path === path)) path = defaultFile(entries);
    this.tree.render(entries, path);
    const entry = entries.find((item) => item.path === path);
    if (!entry) {
      this.viewer.showEmpty(streaming ? "Waiting for the first file…" : "No files in this version.");
      return;
    }
    this.viewer.show(entry.path, entry.content, { streaming: streaming && entry.streaming, done: !entry.streaming, deleted: entry.operation === "deleted" });
  }

  pickFile(path) {
    this.selectedPath = path;
    this.follow = false;
    this.showPane("code");
    this.renderCode();
  }

  async openFile(n, path) {
    await this.switchVersion(n, false);
    selectMobileTab(this.el, "code");
    this.pickFile(path);
  }

  async switchVersion(n, scrollChat) {
    this.viewVersion = n;
    this.follow = n === this.liveNumber();
    const version = this.versions.get(n);
    if (version && hasFiles(version.status)) await this.files.load(n);
    if (scrollChat) this.chat.scrollToVersion(n);
    // An open Try it pane stays open and shows the newly selected version's preview.
    this.showPane(this.el.tryit.hidden ? "code" : "tryit");
    this.scheduleRender();
  }

  showPane(name) {
    selectPane(this.el, name);
    if (name === "tryit") this.tryit.show(this.viewVersion);
    else this.tryit.hide();
  }

  // A version made from the card menu (restore, regenerate): view it as soon as it exists.
  showNewVersion(version) {
    this.noteVersion(version);
    this.viewVersion = version.number;
    this.follow = true;
    this.selectedPath = null;
    this.chat.scrollToBottom(false);
    this.showPane("code");
    this.scheduleRender();
  }

  async sendFollowUp(text) {
    try {
      const data = await api.createVersion(this.id, text);
      const version = data.version;
      if (!this.model.versions.get(version.number)?.fromEvents) this.noteVersion(version);
      else this.versions.set(version.number, { ...version, status: this.model.live(version.number).status });
      this.viewVersion = version.number;
      this.follow = true;
      this.selectedPath = null;
      this.chat.scrollToBottom(false);
      this.scheduleRender();
      return true;
    } catch (error) {
      this.composer.setNotice(error.status === 409 ? "A version is already generating — wait or press Stop." : error.message);
      return false;
    }
  }

  async stop() {
    this.composer.stop.disabled = true;
    try {
      await api.cancel(this.id);
    } catch (error) {
      this.composer.setNotice(`Could not stop: ${error.message}`);
    }
    if (this.stream.state !== "open") this.refresh();
  }
}

// A failed version keeps its files too (those of the version before it when none were written).
function hasFiles(status) {
  return status === STATUS.COMPLETE || status === STATUS.FAILED;
}

function defaultFile(entries) {
  const preferred = entries.find((entry) => entry.path === "app/main.py" || entry.path === "main.py");
  const live = entries.find((entry) => entry.operation && entry.operation !== "deleted");
  return (preferred || live || entries[0] || {}).path || null;
}
