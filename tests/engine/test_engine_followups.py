"""Follow-up prompts, phrased the way people write them, and how each changes the spec."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from apiforge.engine import apply_followup, parse_prompt
from apiforge.engine.spec import ApiSpec
from apiforge.errors import PromptNotUnderstood
from tests.engine.spec_lookup import field_of, links_of, resource_of

LIBRARY = parse_prompt(
    "A library API with books (title, author, isbn, published year, price, optional "
    "description) and members (name, email). Each book belongs to a member. Add API key auth "
    "and pagination."
)
TASKS = parse_prompt(
    "Todo API. Tasks: title, optional notes, due date, done. Projects: name. Each task belongs "
    "to a project. Use bearer tokens, soft delete and timestamps."
)


def _lacks(spec: ApiSpec, resource: str, name: str) -> bool:
    return resource_of(spec, resource).field(name) is None


Check = Callable[[ApiSpec], bool]
CASES: list[tuple[ApiSpec, str, Check]] = [
    (LIBRARY, "add a rating (number) to books",
     lambda s: field_of(s, "books", "rating").type == "number"),
    (LIBRARY, "Books should also have a page count and a list of tags",
     lambda s: field_of(s, "books", "page_count").type == "integer"
     and field_of(s, "books", "tags").type == "list"),
    (LIBRARY, "remove the isbn field", lambda s: _lacks(s, "books", "isbn")),
    (LIBRARY, "books don't need isbn anymore", lambda s: _lacks(s, "books", "isbn")),
    (LIBRARY, "rename members to patrons",
     lambda s: s.resource("members") is None and ("books", "patrons") in links_of(s)),
    (LIBRARY, "rename isbn to code",
     lambda s: _lacks(s, "books", "isbn") and field_of(s, "books", "code").type == "text"),
    (LIBRARY, "make price optional", lambda s: not field_of(s, "books", "price").required),
    (LIBRARY, "description should be required",
     lambda s: field_of(s, "books", "description").required),
    (LIBRARY, "change the price to an integer",
     lambda s: field_of(s, "books", "price").type == "integer"),
    (LIBRARY, "price should be a whole number",
     lambda s: field_of(s, "books", "price").type == "integer"),
    (LIBRARY, "add pagination and make price optional",
     lambda s: not field_of(s, "books", "price").required),
    (LIBRARY, "remove pagination", lambda s: not s.has("pagination")),
    (LIBRARY, "no more auth please", lambda s: s.auth is None),
    (LIBRARY, "Switch to bearer tokens instead of api keys", lambda s: s.auth == "bearer_auth"),
    (LIBRARY, "Also add categories with a name and a description. Each book belongs to a "
     "category.", lambda s: ("books", "categories") in links_of(s)
     and field_of(s, "categories", "description").type == "text"),
    (LIBRARY, "drop the members resource",
     lambda s: s.resource("members") is None and not links_of(s)),
    (LIBRARY, "add sorting, search and soft delete",
     lambda s: {"sorting", "search", "soft_delete"} <= set(s.features)),
    (LIBRARY, "make the genre of books one of fiction, poetry or history",
     lambda s: False),  # genre does not exist: must be refused (see REFUSED below)
    (LIBRARY, "give members a phone number and a birthday",
     lambda s: field_of(s, "members", "birthday").type == "date"),
    (LIBRARY, "add reviews (rating, comment) and each review belongs to a book",
     lambda s: ("reviews", "books") in links_of(s)),
    (LIBRARY, "Let's also track a published flag on books",
     lambda s: field_of(s, "books", "published").type == "boolean"),
    (LIBRARY, "make email on members optional",
     lambda s: not field_of(s, "members", "email").required),
    (LIBRARY, "add CORS and a health endpoint", lambda s: {"cors", "health"} <= set(s.features)),
    (LIBRARY, "turn author into a url", lambda s: field_of(s, "books", "author").type == "url"),
    (TASKS, "add a priority (low, medium, high) to tasks",
     lambda s: field_of(s, "tasks", "priority").choices == ["low", "medium", "high"]),
    (TASKS, "notes should be required now", lambda s: field_of(s, "tasks", "notes").required),
    (TASKS, "remove soft delete", lambda s: not s.has("soft_delete")),
    (TASKS, "rename the projects resource to boards",
     lambda s: ("tasks", "boards") in links_of(s)),
    (TASKS, "use an API key instead of bearer tokens", lambda s: s.auth == "api_key_auth"),
    (TASKS, "change due date to a datetime",
     lambda s: field_of(s, "tasks", "due_date").type == "datetime"),
    (TASKS, "add an estimate in hours to tasks and add filtering",
     lambda s: field_of(s, "tasks", "estimate_hours").type == "integer"
     and s.has("filtering")),
    (TASKS, "delete the notes column from tasks", lambda s: _lacks(s, "tasks", "notes")),
    (TASKS, "projects should have a color and an archived flag",
     lambda s: field_of(s, "projects", "archived").type == "boolean"),
    (TASKS, "add labels (name, color)", lambda s: s.resource("labels") is not None),
]  # fmt: skip
REFUSED_PROMPTS = {"make the genre of books one of fiction, poetry or history"}
ACCEPTED = [case for case in CASES if case[1] not in REFUSED_PROMPTS]


def test_there_are_at_least_thirty_followups() -> None:
    assert len(ACCEPTED) >= 30


@pytest.mark.parametrize(("base", "prompt", "check"), ACCEPTED, ids=[c[1][:40] for c in ACCEPTED])
def test_followup_changes_the_spec(base: ApiSpec, prompt: str, check: Check) -> None:
    before = base.model_copy(deep=True)
    spec, changes = apply_followup(base, prompt)
    assert changes
    assert check(spec)
    assert base == before  # the previous spec is never modified


REFUSED = [
    (LIBRARY, "make the genre of books one of fiction, poetry or history"),
    (LIBRARY, "rename the wizard field to spell"),
    (LIBRARY, "remove the dragons resource"),
    (LIBRARY, "make frobnication optional"),
    (LIBRARY, "write me a poem instead"),
    (LIBRARY, "thanks!"),
    (LIBRARY, "add pagination but no pagination"),
    (LIBRARY, "rename books to members"),
    (TASKS, "change the colour of tasks to a number"),
]


@pytest.mark.parametrize(("base", "prompt"), REFUSED, ids=[c[1][:40] for c in REFUSED])
def test_unreadable_followups_are_refused(base: ApiSpec, prompt: str) -> None:
    with pytest.raises(PromptNotUnderstood) as error:
        apply_followup(base, prompt)
    assert "For example" in error.value.message
    assert "Understood:" in error.value.message  # says what the current API is
