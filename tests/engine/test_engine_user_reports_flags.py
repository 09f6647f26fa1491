"""User reports: a yes/no said as two choices ("featured or not featured", "paid or unpaid")
is a boolean field, not an enum; a "with" resource linked to two others keeps both links;
"address line 1-2" is not a number range."""

from __future__ import annotations

import pytest

from apiforge.engine import generate
from tests.engine.spec_lookup import field_of, fields_of, links_of

BOOKSTORE = "a bookstore API with books (title) and authors (name)"


@pytest.mark.parametrize("joiner", ["; books", ". Books"])
def test_featured_or_not_featured_in_a_first_prompt_is_a_boolean(joiner: str) -> None:
    result = generate(f"{BOOKSTORE}{joiner} can be flagged as featured or not featured")
    assert fields_of(result.spec) == {
        "books": {"title": "text", "featured": "boolean"},
        "authors": {"name": "text"},
    }
    assert links_of(result.spec) == {("books", "authors")}
    assert result.not_built == []


def test_featured_or_not_featured_adds_to_the_default_fields_of_books() -> None:
    spec = generate(
        "a bookstore API with books and authors; books can be flagged as featured or not featured"
    ).spec
    assert field_of(spec, "books", "featured").type == "boolean"
    assert field_of(spec, "books", "isbn").type == "text"  # the table's defaults stay
    assert all(f.type != "enum" for r in spec.resources for f in r.fields)


@pytest.mark.parametrize(
    ("prompt", "resource", "fields"),
    [
        (
            "a todo API with tasks (title); tasks can be marked as done or not done",
            "tasks",
            {"title": "text", "done": "boolean"},
        ),
        (
            "a shop API with orders (customer name); orders can be paid or unpaid",
            "orders",
            {"customer_name": "text", "paid": "boolean"},
        ),
        (
            "a users API with users (email); users can be active or inactive",
            "users",
            {"email": "email", "active": "boolean"},
        ),
    ],
)
def test_a_state_or_its_negation_is_one_boolean_field(
    prompt: str, resource: str, fields: dict[str, str]
) -> None:
    result = generate(prompt)
    assert fields_of(result.spec) == {resource: fields}
    assert result.not_built == []


def test_a_status_with_three_values_stays_an_enum() -> None:
    spec = generate(
        "a blog API with posts (title, status can be draft, published or archived)"
    ).spec
    assert fields_of(spec) == {"posts": {"title": "text", "status": "enum"}}
    assert field_of(spec, "posts", "status").choices == ["draft", "published", "archived"]


@pytest.mark.parametrize(
    ("followup", "field"),
    [
        ("books can be flagged as featured or not featured", "featured"),
        ("books can be marked as sold out or not", "sold_out"),
        ("books can be paid or unpaid", "paid"),
    ],
)
def test_a_followup_flag_adds_one_boolean_field(followup: str, field: str) -> None:
    first = generate(BOOKSTORE)
    result = generate(followup, first.files)
    assert fields_of(result.spec)["books"] == {"title": "text", field: "boolean"}
    assert result.files["app/schemas.py"].count(f"{field}:") >= 1
    assert result.not_built == []


def test_a_followup_flag_on_a_missing_resource_changes_nothing() -> None:
    first = generate(BOOKSTORE)
    with pytest.raises(Exception, match='no resource called "orders"'):
        generate("orders can be paid or unpaid", first.files)


def test_reviews_with_fields_linked_to_two_resources_link_to_both() -> None:
    result = generate(
        "a movie review API with movies, and reviews with a comment, linked to books and movies"
    )
    assert links_of(result.spec) == {("reviews", "books"), ("reviews", "movies")}
    assert fields_of(result.spec)["reviews"] == {"comment": "text"}
    assert "movies" not in fields_of(result.spec)["reviews"]
    assert field_of(result.spec, "movies", "title").type == "text"
    assert field_of(result.spec, "books", "title").type == "text"
    assert result.not_built == []


@pytest.mark.parametrize(
    "prompt",
    [
        "a contacts API with people (name, address line 1-2)",
        "a contacts API with people with name and address line 1-2",
    ],
)
def test_address_line_1_2_is_text_not_a_number_range(prompt: str) -> None:
    spec = generate(prompt).spec
    assert fields_of(spec) == {"people": {"name": "text", "address_line_1_2": "text"}}
    line = field_of(spec, "people", "address_line_1_2")
    assert (line.minimum, line.maximum) == (None, None)


@pytest.mark.parametrize(
    "prompt",
    [
        "a blog API with posts (title); status can be draft, published or archived",
        "a blog API with posts (title). Posts status can be draft, published or archived",
    ],
)
def test_a_status_sentence_after_the_resource_is_an_enum_on_it(prompt: str) -> None:
    result = generate(prompt)
    assert fields_of(result.spec) == {"posts": {"title": "text", "status": "enum"}}
    assert field_of(result.spec, "posts", "status").choices == ["draft", "published", "archived"]
    assert result.not_built == []


def test_a_status_of_a_named_resource_replaces_its_default_status() -> None:
    spec = generate("a shop API with orders; orders status can be new, shipped or delivered").spec
    status = field_of(spec, "orders", "status")
    assert (status.type, status.choices) == ("enum", ["new", "shipped", "delivered"])
    assert [f.name for f in spec.resources[0].fields].count("status") == 1


def test_a_bare_status_with_two_resources_is_reported_not_guessed() -> None:
    result = generate(
        "a blog API with posts and comments; status can be draft, published or archived"
    )
    assert all(r.field("status") is None for r in result.spec.resources)
    assert result.not_built == ['"status (draft, published, archived)"']


@pytest.mark.parametrize(
    ("first_prompt", "followup", "resource"),
    [
        (BOOKSTORE, "books status can be draft, published or archived", "books"),
        ("a blog API with posts (title)", "status can be draft, published or archived", "posts"),
    ],
)
def test_a_followup_status_sentence_adds_an_enum(
    first_prompt: str, followup: str, resource: str
) -> None:
    first = generate(first_prompt)
    result = generate(followup, first.files)
    status = field_of(result.spec, resource, "status")
    assert (status.type, status.choices) == ("enum", ["draft", "published", "archived"])
    assert 'status: Literal["draft", "published", "archived"]' in result.files["app/schemas.py"]
