// Tokens and cost as people read them. A cost the server does not know (null: no price for
// the model in APIFORGE_PRICES) is said to be unknown, never shown as $0.

const TOKENS = new Intl.NumberFormat("en-US");

export function formatTokens(usage) {
  if (!usage) return "–";
  return `${TOKENS.format(usage.prompt_tokens)} in / ${TOKENS.format(usage.completion_tokens)} out`;
}

export function formatCost(costUsd) {
  if (costUsd === null || costUsd === undefined) return "cost unknown";
  if (costUsd === 0) return "$0";
  // Small generations cost fractions of a cent: two significant digits say how much.
  const digits = costUsd < 1 ? { maximumSignificantDigits: 2 } : { minimumFractionDigits: 2, maximumFractionDigits: 2 };
  return `$${new Intl.NumberFormat("en-US", digits).format(costUsd)}`;
}
