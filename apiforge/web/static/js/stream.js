// The live connection: EventSource with native Last-Event-ID resume, then REST polling.
//
// States: connecting → open; on a drop "reconnecting" (the browser resumes by itself, sending
// Last-Event-ID); after MAX_FAILURES failed tries "polling" every POLL_MS, probing the stream
// again every PROBE_EVERY polls until it answers.

export const EVENT_TYPES = [
  "version:start", "step:start", "step:progress", "step:complete", "message:chunk",
  "file:generating", "code:chunk", "file:complete", "validation:start", "validation:progress",
  "validation:complete", "preview:ready", "preview:error", "preview:stopped", "provider:call",
  "version:complete", "cancelled", "error", "snapshot",
];
const MAX_FAILURES = 3;
const POLL_MS = 2000;
const PROBE_EVERY = 2;

function isServerEvent(event) {
  return event instanceof MessageEvent && typeof event.data === "string";
}

export class EventStream {
  constructor(url, { onEvent, onState, poll }) {
    this.url = url;
    this.onEvent = onEvent;
    this.onState = onState;
    this.poll = poll;
    this.state = "idle";
    this.lastEventId = null;
    this.failures = 0;
    this.source = null;
    this.pollTimer = null;
    this.pollCount = 0;
    this.stopped = false;
  }

  start() {
    this.open(this.url);
  }

  stop() {
    this.stopped = true;
    this.closeSource();
    clearInterval(this.pollTimer);
    this.pollTimer = null;
    this.setState("closed");
  }

  // Test and debugging hook: drop the connection as a network failure would.
  simulateDrop() {
    this.closeSource();
    this.failures = MAX_FAILURES;
    this.startPolling();
  }

  open(url) {
    const source = new EventSource(url);
    this.source = source;
    if (this.state !== "polling") this.setState(this.state === "idle" ? "connecting" : "reconnecting");
    source.onopen = () => this.handleOpen(source);
    source.onerror = (event) => this.handleError(source, event);
    const listener = (message) => this.handleMessage(source, message);
    for (const type of EVENT_TYPES) source.addEventListener(type, listener);
    source.onmessage = listener;
  }

  handleOpen(source) {
    if (source !== this.source) return;
    this.failures = 0;
    if (this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = null;
    }
    this.setState("open");
  }

  handleMessage(source, message) {
    if (source !== this.source) return;
    if (message.lastEventId) this.lastEventId = message.lastEventId;
    let data;
    try {
      data = JSON.parse(message.data);
    } catch {
      return;
    }
    if (!data.type) data.type = message.type;
    this.onEvent(data, message.lastEventId);
  }

  handleError(source, event) {
    if (source !== this.source || this.stopped) return;
    // The server's own `error` event (a failed version) reaches this handler too, because
    // EventSource names its connection errors the same way: that one is a MessageEvent with
    // data and the connection is still open, so it is only an event for the model.
    if (isServerEvent(event) && source.readyState === EventSource.OPEN) return;
    if (this.state === "polling") {
      // A probe failed: stay on polling, try again later.
      this.closeSource();
      return;
    }
    this.failures += 1;
    if (source.readyState === EventSource.CLOSED || this.failures >= MAX_FAILURES) {
      this.closeSource();
      this.startPolling();
    } else {
      this.setState("reconnecting");
    }
  }

  startPolling() {
    this.setState("polling");
    if (this.pollTimer) return;
    this.pollCount = 0;
    this.poll();
    this.pollTimer = setInterval(() => this.pollTick(), POLL_MS);
  }

  pollTick() {
    this.pollCount += 1;
    this.poll();
    if (this.pollCount % PROBE_EVERY === 0 && !this.source) {
      // A fresh EventSource cannot set Last-Event-ID; the query parameter carries the hint and
      // the model drops any replayed event it already holds (by seq).
      const hint = this.lastEventId ? `?last_event_id=${encodeURIComponent(this.lastEventId)}` : "";
      this.open(this.url + hint);
    }
  }

  closeSource() {
    if (this.source) this.source.close();
    this.source = null;
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onState(state);
  }
}
