"""What a version costs: tokens × the operator's price, 0 only when certain, else unknown."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from apiforge.events.types import Usage
from apiforge.pricing import version_cost
from apiforge.settings import ModelPrice, Settings

PRICES = {"gpt-4o-mini": ModelPrice(input=0.15, output=0.6)}


def test_cost_is_tokens_times_the_price_per_million() -> None:
    usage = Usage(prompt_tokens=2_000_000, completion_tokens=500_000)
    assert version_cost(PRICES, "gpt-4o-mini", usage) == pytest.approx(0.3 + 0.3)


def test_a_cost_that_is_not_known_is_none_never_zero() -> None:
    used = Usage(prompt_tokens=10, completion_tokens=5)
    assert version_cost(PRICES, "gpt-4o", used) is None  # no price for that model
    assert version_cost(PRICES, "gpt-4o-mini", Usage()) is None  # no usage reported
    assert version_cost(PRICES, None, Usage()) == 0.0  # the offline engine: no model at all


def test_prices_are_validated_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIFORGE_PRICES", '{"m": {"input": 1.5, "output": 2}}')
    assert Settings().prices == {"m": ModelPrice(input=1.5, output=2)}
    for bad in ('{"m": {"input": -1, "output": 2}}', '{"m": {"input": 1}}', '{"m": {"in": 1}}'):
        monkeypatch.setenv("APIFORGE_PRICES", bad)
        with pytest.raises(ValidationError):
            Settings()
