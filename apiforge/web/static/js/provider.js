// Who writes the code, from GET /api/health: shown plainly so the offline engine never passes
// for an AI model.
import { api } from "./api.js";
import { h } from "./dom.js";

export function providerText(provider) {
  if (!provider) return "";
  if (/offline/i.test(provider)) return "Code by the offline engine (rule-based templates, no AI model)";
  return `Code by ${provider}`;
}

// A label filled in once /api/health answers; stays empty if it does not.
export function providerLabel() {
  const label = h("p", { class: "provider-label", id: "provider-label" });
  api.health().then((data) => {
    label.textContent = providerText(data && data.provider);
    label.dataset.provider = (data && data.provider) || "";
  }).catch(() => {});
  return label;
}
