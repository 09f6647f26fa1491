"""What a version cost, from the tokens its provider reported and the operator's prices.

Worked out once, when the version ends, with the prices in force then, and stored with it: a
price changed later does not rewrite what earlier versions cost. ``None`` means not known (the
model has no price in APIFORGE_PRICES), never a guessed 0.
"""

from __future__ import annotations

from collections.abc import Mapping

from apiforge.events.types import Usage
from apiforge.settings import ModelPrice

PER = 1_000_000  # prices are per million tokens


def version_cost(prices: Mapping[str, ModelPrice], model: str | None, usage: Usage) -> float | None:
    """``model`` None: the offline engine, which runs here and costs nothing."""
    if model is None:
        return 0.0
    price = prices.get(model)
    if price is None:
        return None
    if usage.prompt_tokens == 0 and usage.completion_tokens == 0:
        # A model's answer always takes tokens: none means none were reported (a server that
        # sends no usage block, a stream stopped before its end), not that nothing was spent.
        return None
    return (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / PER
