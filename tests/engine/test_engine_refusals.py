"""Prompts the engine must refuse, and the "Understood: …" line it shows for the rest."""

from __future__ import annotations

import pytest

from apiforge.engine import describe, generate, parse_prompt
from apiforge.engine.spec import SPEC_PATH
from apiforge.errors import PromptNotUnderstood

UNREADABLE = [
    "hello!",
    "hi there, how are you?",
    "write a poem about the sea",
    "What's the weather like in Paris tomorrow?",
    "tell me a joke",
    "",
    "   ",
    "asdfghjkl qwerty",
    "Add pagination and API key auth to books, but no pagination.",
    "thanks, that's all",
]


@pytest.mark.parametrize("prompt", UNREADABLE)
def test_unreadable_prompts_are_refused_with_an_example(prompt: str) -> None:
    with pytest.raises(PromptNotUnderstood) as error:
        parse_prompt(prompt)
    assert "For example" in error.value.message


def test_describe_states_resources_field_counts_and_features() -> None:
    spec = parse_prompt(
        "a library API with books (title, author, isbn, published year, price) and members "
        "(name, email), with pagination"
    )
    assert describe(spec) == (
        "Understood: 2 resources — books (5 fields), members (2 fields); features: pagination"
    )


def test_irregular_plurals_and_singular_mentions_name_one_resource() -> None:
    spec = parse_prompt("People have a name. Each person has an age. Categories: title.")
    assert [(r.name, r.singular) for r in spec.resources] == [
        ("people", "person"),
        ("categories", "category"),
    ]
    person = spec.resources[0]
    assert [f.name for f in person.fields] == ["name", "age"]


def test_a_broken_previous_spec_is_refused() -> None:
    with pytest.raises(PromptNotUnderstood):
        generate("add pagination", {SPEC_PATH: '{"title": 3}'})
