// The developer console's provider calls: one row per request to the provider (round, model,
// tokens in and out, time to the first text, duration, how it ended) and the version's totals,
// from the generation's `provider:call` events (docs/events.md).
import { formatCost } from "./cost.js";
import { clear, h } from "./dom.js";

const TOKENS = new Intl.NumberFormat("en-US");

// The generation's calls in order. A call sent again (a fix round re-run after a restart) has
// the same round and call number: the later report is the one that counts.
export function providerCalls(generation) {
  const byKey = new Map();
  for (const event of generation.events) {
    if (event.type === "provider:call") byKey.set(`${event.round}:${event.call}`, event);
  }
  return [...byKey.values()].sort((a, b) => a.round - b.round || a.call - b.call);
}

// Each call as a span on the time axis: it ended when its event was sent, `duration_ms` before.
export function callSpans(calls) {
  return calls.map((call) => ({ call, end: call.ts, start: call.ts - call.duration_ms / 1000,
    firstToken: call.first_token_ms === null ? null : call.ts - (call.duration_ms - call.first_token_ms) / 1000 }));
}

// A sum of token counts some calls may not have reported: the known part, and whether any is missing.
function tokenSum(calls, field) {
  const known = calls.filter((call) => call[field] !== null);
  return { total: known.reduce((sum, call) => sum + call[field], 0), missing: known.length < calls.length };
}

function tokens(count) {
  return count === null ? "–" : TOKENS.format(count);
}

function ms(count) {
  return count === null ? "–" : `${TOKENS.format(count)} ms`;
}

function callLabel(call) {
  return call.call ? `${call.round} · ${call.call + 1}` : String(call.round);
}

export class CallTable {
  constructor() {
    this.el = h("table", { class: "dev-calls", id: "dev-calls", "aria-label": "Provider calls" });
  }

  render(generation) {
    const calls = generation ? providerCalls(generation) : [];
    if (!calls.length) {
      clear(this.el);
      return;
    }
    const head = h("tr", {}, ["round", "model", "tokens in", "tokens out", "first token", "took", "outcome"].map((name) => h("th", {}, name)));
    clear(this.el, h("thead", {}, head), h("tbody", {}, calls.map((call) => this.row(call))), h("tfoot", {}, this.totals(generation, calls)));
  }

  row(call) {
    return h("tr", { class: "dev-call", dataset: { round: String(call.round), call: String(call.call), outcome: call.outcome } },
      h("td", {}, callLabel(call)), h("td", {}, call.model ?? call.provider),
      h("td", {}, tokens(call.prompt_tokens)), h("td", {}, tokens(call.completion_tokens)),
      h("td", {}, ms(call.first_token_ms)), h("td", {}, ms(call.duration_ms)),
      h("td", { title: call.error_code }, call.error_code ? `${call.outcome} (${call.error_code})` : call.outcome));
  }

  // The version's own totals once it has ended (`version:complete`), else the calls' sum so far.
  totals(generation, calls) {
    const complete = generation.events.find((event) => event.type === "version:complete");
    const took = calls.reduce((sum, call) => sum + call.duration_ms, 0);
    const label = `total · ${calls.length} call${calls.length === 1 ? "" : "s"}${complete ? "" : " so far"}`;
    const sums = ["prompt_tokens", "completion_tokens"].map((field) =>
      complete ? { total: complete.usage[field], missing: false } : tokenSum(calls, field));
    const [tokensIn, tokensOut] = sums.map(({ total, missing }) => `${tokens(total)}${missing ? " + not reported" : ""}`);
    return h("tr", { class: "dev-calls-total", dataset: { calls: String(calls.length), tokensIn: String(sums[0].total), tokensOut: String(sums[1].total), durationMs: String(took) } },
      h("td", {}, label), h("td", {}), h("td", {}, tokensIn), h("td", {}, tokensOut), h("td", {}), h("td", {}, ms(took)),
      h("td", {}, complete ? formatCost(complete.cost_usd) : ""));
  }
}
